"""Pages in English: the project's catalog (records, domain errors) and the pages' own both translate."""
import pytest
from django.utils import translation

from workflows.planning.models import PlanState
from workflows.procurement.models import LotState

from .test_procurement import world  # noqa: F401 - fixture
from .test_webui_challenges import awarded  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_every_message_of_the_project_has_an_english_translation():
    with translation.override("en"):
        assert [str(label) for _value, label in PlanState.choices] == [
            "Drafting", "Submitted", "Returned for revision", "Filed"]
        assert str(LotState.FAILED.label) == "Tender failed"


def test_a_page_in_english_shows_record_states_in_english(client, awarded):
    users, _instance = awarded
    client.cookies["django_language"] = "en"
    client.force_login(users["org4"])  # bid on lot 2 only, which failed
    page = client.get("/challenges/").content.decode()
    assert "<h1>Challenges</h1>" in page and "Winner" in page  # the pages' catalog
    assert "Tender failed" in page and "废标" not in page  # the record's state, from the project's catalog
