import pytest

from engine import clock


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.release()
