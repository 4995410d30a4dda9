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


@pytest.fixture(scope="module")
def browser(django_db_setup):
    # Playwright runs an event loop in this thread while it is open, and Django's connections are
    # context-local: the tests then get a connection of their own, which must know the database's
    # contents to restore them (serialized_rollback). Closing Playwright with the module gives later
    # tests back their usual connection.
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs chromium with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed")
    assert (BUILD / "task-form.js").exists(), "the front-end is not built: run `make setup` (npm ci && npm run build)"
    from playwright.sync_api import sync_playwright

    from django.db import connections

    contents = getattr(connections["default"], "_test_serialized_contents", None)
    with sync_playwright() as playwright:
        if contents is not None:
            connections["default"]._test_serialized_contents = contents
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


@pytest.fixture
def signed_in(browser, live_server):
    """signed_in(user): a page of a new browser context signed in as `user`, in Chinese on a laptop.

    Each page's script errors are kept in `page.script_errors`; a test fails if any remain at its end.
    """
    from django.test import Client

    contexts, pages = [], []

    def _open(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15000)
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        contexts.append(context)
        pages.append(page)
        return page

    yield _open
    errors = [error for page in pages for error in page.script_errors]
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the page: {errors}"
