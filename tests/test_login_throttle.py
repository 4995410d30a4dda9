"""Local logins are throttled: after too many wrong passwords for one account, or from one address, the login page
refuses even the right password, says so and until when, and an administrator can unlock it."""
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from restapi.tokens import create_token

from .conftest import BPMN_DIR

ROOT = BPMN_DIR.parent.parent
LOGIN = "/accounts/login/"
WRONG = "用户名或密码不正确"
LOCKED = "已锁定"


def attempt(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def fail(client, username, times, **headers):
    return [attempt(client, username, "wrong", **headers) for _ in range(times)]


def logged_in(client):
    return client.get("/").status_code == 200


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, offices):
    answers = fail(client, "520102", 5)
    assert all(WRONG in a.content.decode() and a.status_code == 200 for a in answers[:4])
    locked = answers[4]
    page = locked.content.decode()
    assert locked.status_code == 429 and "账户 520102 已锁定" in page and "请 15 分钟后" in page
    assert "联系系统管理员解锁" in page and 'value="520102"' in page  # the form, to try again later

    right = attempt(client, "520102", "pw")
    assert right.status_code == 429 and LOCKED in right.content.decode() and not logged_in(client)

    # Another account from the same address is not locked by someone else's mistakes.
    assert attempt(client, "520302", "pw").status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_lock_says_when_it_lifts_and_lifts_then(client, offices):
    fail(client, "520102", 5)
    last = AccessAttempt.objects.get(username="520102").attempt_time
    page = attempt(client, "520102", "pw").content.decode()
    assert f"{timezone.localtime(last + timedelta(minutes=15)):%H:%M} 以后" in page

    # Attempts while locked are not counted: the lock still lifts 15 minutes after the fifth failure.
    assert AccessAttempt.objects.get(username="520102").failures_since_start == 5
    AccessAttempt.objects.filter(username="520102").update(attempt_time=last - timedelta(minutes=15, seconds=1))
    assert attempt(client, "520102", "pw").status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_a_success_clears_the_accounts_failures_only(client, offices, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    fail(client, "520102", 4)
    fail(client, "520302", 1)
    assert attempt(client, "520102", "pw").status_code == 302
    client.logout()
    # 520102 starts again from nought, so four more mistakes do not lock it ...
    assert [a.status_code for a in fail(client, "520102", 4)] == [200] * 4
    # ... while the address kept 520302's failure: with it, that makes six from here.
    assert "从本机地址登录失败的次数过多" in fail(client, "520302", 1)[0].content.decode()


@pytest.mark.django_db
def test_an_address_is_locked_after_failures_over_many_accounts(client, offices, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for username in ("520102", "520302", "5201"):
        assert fail(client, username, 1)[0].status_code == 200
    page = fail(client, "gz", 1)[0].content.decode()
    assert "从本机地址登录失败的次数过多，已暂停从这里登录" in page and "请 15 分钟后" in page
    # The right password of an untouched account is refused from this address, and accepted from another.
    assert attempt(client, "5203", "pw").status_code == 429
    assert attempt(client, "5203", "pw", REMOTE_ADDR="10.1.2.3").status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, offices, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    settings.LOGIN_PROXY_COUNT = 1
    # Whatever the client writes before the proxy's own entry is not believed.
    fail(client, "520102", 1, HTTP_X_FORWARDED_FOR="1.1.1.1, 192.0.2.7")
    fail(client, "520302", 1, HTTP_X_FORWARDED_FOR="2.2.2.2, 192.0.2.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.7"}
    assert attempt(client, "gz", "pw", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 429
    # The proxy's own address (REMOTE_ADDR, shared by everyone behind it) is not what is locked.
    assert attempt(client, "gz", "pw", HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 302


@pytest.mark.django_db
def test_the_lock_speaks_english_on_request(client, offices):
    fail(client, "520102", 4)
    page = fail(client, "520102", 1, HTTP_ACCEPT_LANGUAGE="en")[0].content.decode()
    assert "Too many failed logins: account 520102 is locked. Try again in 15 minutes (after " in page
    assert "ask the system administrator to unlock it" in page and "已锁定" not in page


@pytest.mark.django_db
def test_an_administrator_unlocks_with_the_command(client, offices):
    fail(client, "520102", 5)
    call_command("axes_reset_username", "520102", stdout=open(os.devnull, "w"))
    assert attempt(client, "520102", "pw").status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_an_administrator_unlocks_in_the_admin(client, offices, django_user_model):
    fail(client, "520102", 5)
    admin = django_user_model.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/?q=520102").content.decode()
    assert "520102" in listing
    rows = list(AccessAttempt.objects.filter(username="520102").values_list("pk", flat=True))
    client.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": rows, "post": "yes"})
    client.logout()
    assert attempt(client, "520102", "pw").status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_a_session_already_open_goes_on_while_the_account_is_locked(client, offices):
    signed_in = type(client)()
    signed_in.force_login(offices["520102"])
    fail(client, "520102", 5)
    assert signed_in.get("/").status_code == 200


@pytest.mark.django_db
def test_api_tokens_are_neither_counted_nor_refused_by_the_login_lock(client, offices, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    _row, token = create_token("520102", "county-system")
    fail(client, "520102", 5)  # the account, and the address the system calls from, are locked
    for _ in range(3):
        assert client.get("/api/v1/tasks/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5
    assert client.get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url():
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def served(tmp_path):
    """The product's own `manage.py serve` on the test database, in a process of its own."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "VAR_DIR": str(tmp_path), "DEBUG": "0"}
    server = subprocess.Popen([sys.executable, "manage.py", "serve", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url + LOGIN, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("manage.py serve did not answer")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the server sees the rows the test writes
def test_logins_sent_together_get_no_more_guesses_than_the_limit(served, django_user_model):
    # The server hashes as in production, so the password is stored that way.
    hasher = PBKDF2PasswordHasher()
    django_user_model.objects.create(username="520102", password=hasher.encode("right", hasher.salt()))
    first = requests.get(served + LOGIN, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text).group(1)

    def post(password):
        return requests.post(served + LOGIN, data={"username": "520102", "password": password,
                                                   "csrfmiddlewaretoken": token},
                             cookies=first.cookies, allow_redirects=False, timeout=60)

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(post, ["wrong"] * 30))
    took = time.monotonic() - started
    statuses = sorted(a.status_code for a in answers)
    # Four were told the password was wrong; the fifth failure, and every one after it, that the account is locked.
    assert statuses == [200] * 4 + [429] * 26, statuses
    assert all(WRONG in a.text for a in answers if a.status_code == 200)
    assert all("账户 520102 已锁定" in a.text for a in answers if a.status_code == 429)
    assert AccessAttempt.objects.get(username="520102").failures_since_start == 5
    right = post("right")
    assert right.status_code == 429 and "sessionid" not in right.cookies
    print(f"30 wrong passwords sent 10 at a time answered in {took:.2f}s")
