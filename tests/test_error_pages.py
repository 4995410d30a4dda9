"""The pages a refusal or a failure shows: in the person's language, with the way back to their tasks, not
Django's bare English ones."""
import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def page(client, path, status, **headers):
    response = client.get(path, **headers)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def test_a_refused_page_says_so_with_the_menu_and_the_way_back(client, offices):
    client.force_login(offices["520102"])
    shown = page(client, "/dashboard/", 403)
    assert "<h1>无权访问</h1>" in shown and 'aria-label="主菜单"' in shown and 'href="/">返回待办</a>' in shown
    shown = page(client, "/dashboard/", 403, HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Access denied</h1>" in shown and ">Back to tasks</a>" in shown


def test_a_missing_page_or_record_says_so_in_production(client, offices, settings):
    settings.DEBUG = False
    client.force_login(offices["520102"])
    for path in ("/no-such-page/", f"/instances/{uuid.uuid4()}/"):
        assert "<h1>页面不存在</h1>" in page(client, path, 404), path
    assert "<h1>Page not found</h1>" in page(client, "/no-such-page/", 404, HTTP_ACCEPT_LANGUAGE="en")


def test_a_request_the_server_cannot_take_or_a_failure_says_so_in_production(client, offices, settings,
                                                                             monkeypatch):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client.force_login(offices["520102"])
    query = "&".join(f"f{n}=x" for n in range(10))
    assert "<h1>请求有误</h1>" in page(client, f"/instances/?{query}", 400)

    from webui.views import inbox

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbox, "tab_queryset", fail)
    failing = Client(raise_request_exception=False)
    failing.force_login(offices["520102"])
    shown = page(failing, "/", 500)
    assert "<h1>系统出错</h1>" in shown and "a bug" not in shown
