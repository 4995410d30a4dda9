"""Single sign-on against a real OpenID provider: django-oauth-toolkit, served by the live server under one host name
(the identity service) while the product answers under another, signing with an RSA key made here. The person's
browser is a requests session following the redirects, its cookies kept per host as a browser keeps them."""
import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
import requests
from axes.models import AccessAttempt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oauth2_provider.models import Application

from accounts.models import SignOnIdentity
from engine import api
from engine.api import clock
from engine.models import AuditEvent
from workflows.models import Membership

from .sso_provider import CLAIMS

SECRET = "the-client-secret"
PERSON = "idp.zhangwei"  # the person's account at the identity service
ZHANG = {"preferred_username": "zhang.wei", "name": "张伟", "office_code": "520102"}
START = datetime(2026, 3, 2, 1, 0, tzinfo=clock.CHINA)  # a Monday
sso = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the live server sees the test's rows


@pytest.fixture
def hosts(live_server):
    """(the product's address, the identity service's): one server, two host names, so two sets of cookies."""
    port = urlparse(live_server.url).port
    return f"http://localhost:{port}", f"http://127.0.0.1:{port}"


@pytest.fixture
def provider(hosts, settings, django_user_model):
    """The identity service with its RSA key and this product registered as a client; single sign-on turned on."""
    product, service = hosts
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    settings.ROOT_URLCONF = "tests.sso_provider"
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True, "OIDC_RSA_PRIVATE_KEY": key, "OIDC_ISS_ENDPOINT": f"{service}/o",
        "SCOPES": {"openid": "OpenID Connect", "profile": "profile"},
        "OAUTH2_VALIDATOR_CLASS": "tests.sso_provider.Validator",
    }
    Application.objects.create(
        name="社工站服务流程", client_id="shegong-flow", client_secret=SECRET, skip_authorization=True,
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{product}/oidc/callback/", algorithm=Application.RS256_ALGORITHM)
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "shegong-flow", SECRET
    settings.OIDC_OP_ISSUER = f"{service}/o"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{service}/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{service}/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{service}/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{service}/o/.well-known/jwks.json"
    django_user_model.objects.create_user(PERSON, password="idp-pw")
    CLAIMS[PERSON] = dict(ZHANG)
    yield product
    CLAIMS.clear()


@pytest.fixture
def plans(deploy_bpmn, offices):
    """A plan to write waiting in each of two counties' inboxes."""
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    for county in ("520102", "520302"):
        api.start("review", f"plan-2026-{county}", {"county": county, "year": 2026, "revisions": 0})


def browser_at_the_service(hosts):
    """A browser whose person has logged in at the identity service (its own login page, under its host)."""
    _product, service = hosts
    browser = requests.Session()
    login = browser.get(f"{service}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    browser.post(f"{service}/accounts/login/", {"username": PERSON, "password": "idp-pw",
                                                "csrfmiddlewaretoken": token}, timeout=30)
    return browser


def sign_on_link(browser, product):
    page = browser.get(f"{product}/accounts/login/", timeout=30).text
    assert "使用统一身份认证登录" in page
    return product + re.search(r'<a class="button" href="([^"]+)"', page).group(1).replace("&amp;", "&")


def sign_on(hosts):
    """The person clicks the login page's single sign-on button; the page the redirects end on."""
    product, _service = hosts
    browser = browser_at_the_service(hosts)
    return browser, browser.get(sign_on_link(browser, product), timeout=30)


def to_callback(browser, product, change=None):
    """Follow the sign-on to the identity service and stop at its answer's redirect back; `change` edits the
    authorization request's parameters on the way (a tampered request)."""
    authorize = browser.get(sign_on_link(browser, product), allow_redirects=False, timeout=30).headers["Location"]
    if change:
        parts = urlparse(authorize)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        authorize = urlunparse(parts._replace(query=urlencode({**query, **change})))
    return browser.get(authorize, allow_redirects=False, timeout=30).headers["Location"]


def zhang():
    return SignOnIdentity.objects.select_related("user").get().user


@pytest.mark.django_db
def test_off_unless_configured_the_login_page_offers_no_sign_on(client):
    assert "统一身份认证" not in client.get("/accounts/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


@sso
def test_first_sign_on_makes_the_account_in_the_claimed_office_and_opens_its_inbox(hosts, provider, plans):
    browser, inbox = sign_on(hosts)
    assert inbox.url == f"{provider}/" and inbox.status_code == 200
    user = zhang()
    assert user.username == "zhang.wei" and user.get_full_name() == "张伟" and not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert membership.office.code == "520102" and not membership.is_supervisor and not membership.is_process_owner
    page = inbox.text
    assert "张伟" in page and "plan-2026-520102" in page and "plan-2026-520302" not in page
    event = AuditEvent.objects.get(action="signon.account_created")
    assert event.actor == "zhang.wei" and event.data["office"] == "520102"
    assert event.record_type == "workflows.Membership"
    assert not AccessAttempt.objects.exists()


@sso
def test_a_later_sign_on_follows_the_office_the_claim_names(hosts, provider, plans):
    sign_on(hosts)
    CLAIMS[PERSON].update(office_code="520302", name="张伟（红花岗）")
    _browser, inbox = sign_on(hosts)
    user = zhang()
    assert list(Membership.objects.filter(user=user).values_list("office__code", flat=True)) == ["520302"]
    assert user.get_full_name() == "张伟（红花岗）"
    assert "plan-2026-520302" in inbox.text and "plan-2026-520102" not in inbox.text
    moved = AuditEvent.objects.get(action="signon.office_changed")
    assert moved.data["from"] == ["520102"] and moved.data["office"] == "520302" and moved.actor == "zhang.wei"
    assert SignOnIdentity.objects.count() == 1 and user.__class__.objects.filter(username="zhang.wei").count() == 1


@sso
def test_an_unknown_office_is_refused_and_nothing_is_made(hosts, provider, django_user_model):
    CLAIMS[PERSON]["office_code"] = "999999"
    _browser, page = sign_on(hosts)
    assert page.url == f"{provider}/accounts/login/"
    assert "统一身份认证给出的单位代码 999999 在本系统中不存在，无法登录" in page.text
    assert not django_user_model.objects.filter(username="zhang.wei").exists()
    assert not SignOnIdentity.objects.exists() and not Membership.objects.exists()
    assert not AccessAttempt.objects.exists()  # a refused sign-on guesses no password


@sso
def test_a_missing_office_claim_is_refused_in_english_on_request(hosts, provider, offices):
    del CLAIMS[PERSON]["office_code"]
    browser = browser_at_the_service(hosts)
    link = sign_on_link(browser, provider)
    browser.headers["Accept-Language"] = "en"
    page = browser.get(link, timeout=30)
    assert "The identity service did not say which office you work in (office_code)" in page.text
    assert not SignOnIdentity.objects.exists()


@sso
def test_an_answer_with_a_state_this_browser_did_not_send_is_refused(hosts, provider, offices):
    browser = browser_at_the_service(hosts)
    callback = to_callback(browser, provider)
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    page = browser.get(forged, timeout=30)
    assert page.url == f"{provider}/accounts/login/" and "这个登录请求已失效或并非由本系统发起" in page.text
    assert not SignOnIdentity.objects.exists()
    # The genuine answer still works, once: used again, it is refused the same way.
    assert browser.get(callback, timeout=30).url == f"{provider}/"
    assert "这个登录请求已失效或并非由本系统发起" in browser.get(callback, timeout=30).text


@sso
def test_a_token_with_another_nonce_is_refused(hosts, provider, offices):
    browser = browser_at_the_service(hosts)
    callback = to_callback(browser, provider, change={"nonce": "a-nonce-this-product-never-sent"})
    page = browser.get(callback, timeout=30)
    assert page.url == f"{provider}/accounts/login/" and "登录凭据未通过校验" in page.text
    assert not SignOnIdentity.objects.exists()


@sso
def test_sign_on_grants_no_supervising_unless_told_to_follow_the_claim(hosts, provider, offices, settings):
    CLAIMS[PERSON]["office_supervisor"] = True
    sign_on(hosts)
    assert not Membership.objects.get(user=zhang()).is_supervisor
    settings.OIDC_SUPERVISOR_CLAIM = "office_supervisor"
    sign_on(hosts)
    assert Membership.objects.get(user=zhang()).is_supervisor
    CLAIMS[PERSON]["office_supervisor"] = False
    sign_on(hosts)
    membership = Membership.objects.get(user=zhang())
    assert not membership.is_supervisor and not membership.is_process_owner
    changes = AuditEvent.objects.filter(action="signon.roles_changed").order_by("id")
    assert [e.data["is_supervisor"] for e in changes] == [True, False]


@sso
def test_a_local_account_of_the_same_name_is_used_only_once_an_administrator_links_it(
        hosts, provider, offices, django_user_model, settings):
    local = django_user_model.objects.create_user("zhang.wei", password="pw")
    _browser, page = sign_on(hosts)
    assert "本系统已有账户 zhang.wei，尚未与统一身份认证关联" in page.text
    subject = str(django_user_model.objects.get(username=PERSON).pk)
    assert f"统一身份标识 {subject}" in page.text and not SignOnIdentity.objects.exists()
    SignOnIdentity.objects.create(user=local, issuer=settings.OIDC_OP_ISSUER, subject=subject)
    _browser, inbox = sign_on(hosts)
    assert inbox.url == f"{provider}/"
    assert Membership.objects.get(user=local).office.code == "520102"


@sso
def test_a_token_issued_by_another_service_is_refused(hosts, provider, offices, settings):
    settings.OIDC_OP_ISSUER = "https://ids.example.gov.cn/o"
    _browser, page = sign_on(hosts)
    assert page.url == f"{provider}/accounts/login/" and "登录凭据未通过校验" in page.text
    assert not SignOnIdentity.objects.exists()
