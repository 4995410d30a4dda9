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


def catalogue(path):
    """{(context, msgid): msgstr} of a .po file's single-line entries."""
    import re

    entries = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        context, msgid, msgstr = (re.search(rf'^{key} "(.*)"$', block, re.M) for key in ("msgctxt", "msgid", "msgstr"))
        if msgid and msgstr and msgid.group(1):
            entries[context and context.group(1), msgid.group(1)] = msgstr.group(1)
    return entries


def test_the_projects_catalogue_overrides_no_apps_translation():
    """The project's catalogue (LOCALE_PATHS) comes before every app's: the same text with another meaning there
    (a notification's 已逾期, "overdue") would silently replace the app's (the inbox tab's, "Overdue")."""
    from django.conf import settings

    project = catalogue(settings.LOCALE_PATHS[0] / "en" / "LC_MESSAGES" / "django.po")
    for app in ("webui", "restapi"):
        own = catalogue(settings.BASE_DIR / app / "locale" / "en" / "LC_MESSAGES" / "django.po")
        differing = {key: (project[key], text) for key, text in own.items() if key in project and project[key] != text}
        assert not differing, (app, differing)


def test_english_inbox_tabs_and_dashboard_use_the_pages_words_not_the_notifications(client, offices):
    import re

    client.cookies["django_language"] = "en"
    client.force_login(offices["gz"])
    tabs = re.findall(r'<li><a href="\?tab=\w+"[^>]*>([^<]*)<span class="count">', client.get("/").content.decode())
    assert tabs == ["My tasks", "Unclaimed in my office", "Claimed by me", "Overdue", "Due soon"]
    assert '<th class="num">In progress</th>' in client.get("/dashboard/").content.decode()


def test_every_text_the_product_shows_has_its_english():
    """Every Chinese text passed to gettext in the code, or to {% translate %} in a template, has an English
    translation in one of the catalogues, as the pages' scripts do (test_js_catalog)."""
    import ast
    import gettext
    import re

    from django.conf import settings

    root = settings.BASE_DIR
    catalogues = [gettext.translation("django", localedir=root / folder / "locale", languages=["en"])
                  for folder in ("", "webui", "restapi")]
    chinese = re.compile(r"[\u4e00-\u9fff]")

    def untranslated(text, context=None):
        return chinese.search(text) and all(
            (c.pgettext(context, text) if context else c.gettext(text)) == text for c in catalogues)

    missing = []
    packages = ("accounts", "config", "engine", "notifications", "restapi", "webui", "workflows")
    for path in (path for package in packages for path in (root / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(getattr(node, "func", None), "id", "")
            if not isinstance(node, ast.Call) or name not in ("_", "gettext", "gettext_lazy", "pgettext",
                                                              "pgettext_lazy"):
                continue
            texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
            context, text = texts[:2] if name.startswith("pgettext") else (None, texts[0] if texts else None)
            if text and untranslated(text, context):
                missing.append(f"{path.relative_to(root)}:{node.lineno} {text}")
    tag = re.compile(r"""\{%\s*translate\s+(["'])((?:(?!\1).)*)\1(?:\s+context\s+(["'])((?:(?!\3).)*)\3)?""")
    for path in (path for package in packages for path in (root / package).rglob("*.html")):
        missing += [f"{path.relative_to(root)} {m.group(2)}" for m in tag.finditer(path.read_text(encoding="utf-8"))
                    if untranslated(m.group(2), m.group(4))]
    assert not missing, missing
