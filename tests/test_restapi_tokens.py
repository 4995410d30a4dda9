"""API tokens: made by `manage.py apitoken` and kept only as a hash, each acting as a service account of one
office; revoked for good; their last use shown to administrators. Sessions serve the pages' own scripts, with
CSRF."""
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from engine.api import clock
from restapi.models import ApiToken

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def apitoken(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def me(client, token):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_is_printed_once_kept_as_a_hash_and_acts_for_its_office(client, offices):
    clock.set_time(MONDAY)
    out, err = apitoken("create", "520102", "--name", "county-system")
    token = out.strip()
    assert token.startswith("sgf_") and len(token) > 40 and "520102" in err
    row = ApiToken.objects.get(name="county-system")
    assert token not in json.dumps(list(ApiToken.objects.values()), default=str), "only its hash is stored"
    assert row.last_used_at is None
    answer = me(client, token)
    assert answer.status_code == 200
    assert answer.json() == {"username": "token:county-system", "offices": ["520102"], "is_process_owner": False}
    assert ApiToken.objects.get(pk=row.pk).last_used_at == MONDAY
    clock.set_time(MONDAY + timedelta(seconds=30))
    me(client, token)
    assert ApiToken.objects.get(pk=row.pk).last_used_at == MONDAY, "noted once a minute, not on every request"
    listed, _err = apitoken("list")
    assert "county-system\t520102\tcreated 2026-03-02 09:00\tlast used 2026-03-02 09:00\tactive" in listed
    assert not offices["520102"].is_superuser
    assert not row.user.has_usable_password(), "no password: no pages"


def test_a_revoked_or_unknown_token_is_refused(client, offices):
    out, _err = apitoken("create", "520102", "--name", "county-system")
    token = out.strip()
    assert me(client, token).status_code == 200
    revoked, _err = apitoken("revoke", "county-system")
    assert revoked.startswith("revoked county-system (520102)")
    for header in (f"Token {token}", "Token sgf_not-a-token", "Token", f"Token {token} extra"):
        answer = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
        assert answer.status_code == 401 and answer["WWW-Authenticate"] == "Token", header
        assert answer["Content-Type"] == "application/problem+json"
    assert me(client, token).json()["detail"] == "令牌无效或已撤销。"
    listed = json.loads(apitoken("list", "--json")[0])
    assert listed[0]["name"] == "county-system" and listed[0]["revoked_at"]
    with pytest.raises(CommandError, match="exists already"):
        apitoken("create", "520102", "--name", "county-system")


def test_tokens_are_made_only_for_offices_that_exist_and_owners_only_for_the_province(offices):
    with pytest.raises(CommandError, match="no office"):
        apitoken("create", "999999", "--name", "nobody")
    with pytest.raises(CommandError, match="provincial civil-affairs"):
        apitoken("create", "520102", "--name", "county-owner", "--process-owner")
    with pytest.raises(CommandError, match="the name must be"):
        apitoken("create", "520102", "--name", "has space")
    token = apitoken("create", "gz", "--name", "province", "--process-owner")[0].strip()
    assert me(Client(), token).json()["is_process_owner"] is True


def test_administrators_see_each_tokens_last_use(client, offices, django_user_model):
    clock.set_time(MONDAY)
    token = apitoken("create", "520102", "--name", "county-system")[0].strip()
    me(Client(), token)
    admin = django_user_model.objects.create_superuser("admin", password="pw")
    client.force_login(admin)
    page = client.get("/admin/restapi/apitoken/").content.decode()
    assert "county-system" in page and "2026年3月2日 09:00" in page


def test_the_pages_scripts_call_the_api_with_their_session_and_csrf_token(offices):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(offices["520102"])
    assert browser.get("/api/v1/me/").json()["username"] == "520102"
    refused = browser.post("/api/v1/signals/", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    browser.get("/")  # a page sets the CSRF cookie its scripts send back
    csrf = browser.cookies["csrftoken"].value
    allowed = browser.post("/api/v1/instances/?", {"process": "none", "data": {"county": "520102"}},
                           content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert allowed.status_code == 404, allowed.content  # past CSRF: no such process
