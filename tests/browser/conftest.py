"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server."""
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BUILD = Path(__file__).resolve().parents[2] / "webui" / "static" / "webui" / "build"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs chromium with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed")
    assert (BUILD / "task-form.js").exists(), "the front-end is not built: run `make setup` (npm ci && npm run build)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _take(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return _take
