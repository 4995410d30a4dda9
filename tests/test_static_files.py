"""With DEBUG off (production), the application itself serves the collected stylesheets and scripts."""
import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_collected_static_files_are_served_without_debug(settings, tmp_path):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    # A new client loads the middleware afresh, so it finds the files just collected.
    response = Client().get("/static/webui/css/app.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (tmp_path / "static" / "webui" / "css" / "app.css").read_bytes()
    assert Client().get("/static/webui/css/no-such.css").status_code == 404
    # Pages name their icon, so browsers do not ask for a /favicon.ico that is not there.
    page = Client().get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/webui/icon.svg" type="image/svg+xml">' in page
    assert Client().get("/static/webui/icon.svg").status_code == 200
