"""Every text the pages' scripts show through t('…') has its English in the JavaScript catalog."""
import gettext
import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
TEXT = re.compile(r"\bt\(\s*'((?:[^'\\]|\\.)*)'")


def script_texts():
    return {m.group(1).replace("\\'", "'") for path in (ROOT / "webui" / "frontend").rglob("*.js")
            for m in TEXT.finditer(path.read_text(encoding="utf-8"))}


def test_every_script_text_has_its_english():
    texts = script_texts()
    assert len(texts) > 80
    english = gettext.translation("djangojs", localedir=ROOT / "webui" / "locale", languages=["en"])
    missing = sorted(text for text in texts if english.gettext(text) == text)
    assert not missing, f"no English in webui/locale/en/LC_MESSAGES/djangojs.po for: {missing}"


def test_the_catalog_the_modeler_loads_speaks_english_on_request(client):
    page = client.get(reverse("webui:modeler_jsi18n"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Follows the task\\u0027s deadline" in page or "Follows the task's deadline" in page
