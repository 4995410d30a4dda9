"""Single sign-on through the province's identity service: OpenID Connect's authorization code flow with PKCE, on
mozilla-django-oidc, beside local passwords. On when OIDC_RP_CLIENT_ID is set (config/settings.py); off, its pages
are not found and the login page offers no sign-on.

The ID token must be signed with one of the service's keys (its JWKS), be issued by OIDC_OP_ISSUER for this client
and carry the nonce this sign-on sent. A person is known by that issuer and their subject there (SignOnIdentity).
Their office comes from the claim OIDC_OFFICE_CLAIM at every sign-on: the first makes their account with one
membership in that office; a later one naming another office moves the membership there. An office code this
system does not know is refused, and nothing is made. Sign-on grants no supervising or process ownership unless
OIDC_SUPERVISOR_CLAIM or OIDC_PROCESS_OWNER_CLAIM names a claim to follow; that claim then grants and withdraws it.
Every change is written to the audit trail.
"""
import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from engine import api
from workflows.models import Membership, Office

from .models import SignOnIdentity

logger = logging.getLogger(__name__)

ROLES = (("is_supervisor", "OIDC_SUPERVISOR_CLAIM"), ("is_process_owner", "OIDC_PROCESS_OWNER_CLAIM"))


def enabled():
    return bool(settings.OIDC_RP_CLIENT_ID)


class Refused(Exception):
    """A sign-on this system refuses, in the words the person is shown."""


class OfficeBackend(OIDCAuthenticationBackend):
    """Signs a person on from the identity service's ID token and user info, their account following its claims."""

    def authenticate(self, request, **kwargs):
        # Only the callback brings a nonce: a password login never reaches the identity service.
        if not enabled() or request is None or "nonce" not in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refusal:
            message = str(refusal)
        except SuspiciousOperation as error:  # signature, nonce, issuer, audience
            logger.warning("single sign-on refused: %s", error)
            message = _("统一身份认证返回的登录凭据未通过校验，本次登录无效，请重新登录。")
        except requests.RequestException as error:
            logger.warning("single sign-on failed, the identity service did not answer as it should: %s", error)
            message = _("暂时无法完成统一身份认证，请稍后再试，或使用账户密码登录。")
        messages.error(request, message)
        request.sign_on_refused = True
        return None

    def get_user(self, user_id):
        # A session of an account deactivated since goes no further, as with local logins.
        return ModelBackend.get_user(self, user_id)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        if payload.get("iss") != settings.OIDC_OP_ISSUER or self.OIDC_RP_CLIENT_ID not in (
                audience if isinstance(audience, list) else [audience]):
            raise SuspiciousOperation("the ID token was issued by another service or for another client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        claims = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("the user info is about another subject than the ID token")
        return {**payload, **claims}  # a claim the service puts in the ID token only counts too

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 0 < len(subject) <= 255:
            raise SuspiciousOperation("the identity service named no usable subject")
        office = _claimed_office(claims)
        try:
            with transaction.atomic():
                return _sign_on(subject, office, claims)
        except IntegrityError:
            # The same person's first sign-on twice at once: the other one made the account, which this one finds.
            with transaction.atomic():
                return _sign_on(subject, office, claims)


def _claimed_office(claims):
    code = claims.get(settings.OIDC_OFFICE_CLAIM)
    if not isinstance(code, str) or not code.strip():
        raise Refused(_("统一身份认证没有提供您所在的单位（%(claim)s），无法登录。请联系系统管理员。")
                      % {"claim": settings.OIDC_OFFICE_CLAIM})
    office = Office.objects.filter(code=code.strip()).first()
    if office is None:
        raise Refused(_("统一身份认证给出的单位代码 %(code)s 在本系统中不存在，无法登录。请联系系统管理员核对单位设置。")
                      % {"code": code.strip()[:64]})
    return office


def _sign_on(subject, office, claims):
    identity = (SignOnIdentity.objects.select_for_update().select_related("user")
                .filter(issuer=settings.OIDC_OP_ISSUER, subject=subject).first())
    created = identity is None
    if created:
        identity = SignOnIdentity.objects.create(user=_new_account(subject, claims), issuer=settings.OIDC_OP_ISSUER,
                                                 subject=subject)
    user = identity.user
    if not user.is_active:
        raise Refused(_("账户 %(username)s 已停用，不能登录。") % {"username": user.get_username()})
    _take_profile(user, claims)
    _follow_office(user, office, claims, created, subject)
    identity.last_sign_on = api.clock.now()
    identity.save(update_fields=["last_sign_on"])
    return user


def _new_account(subject, claims):
    User = get_user_model()
    username = _username(subject, claims)
    if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
        # Linking it unasked would hand a local account to whoever the identity service names alike.
        raise Refused(_("本系统已有账户 %(username)s，尚未与统一身份认证关联（统一身份标识 %(subject)s）。"
                        "请联系系统管理员关联后再登录。") % {"username": username, "subject": subject})
    user = User(**{User.USERNAME_FIELD: username})
    user.set_unusable_password()
    user.save()
    return user


def _username(subject, claims):
    """The claim OIDC_USERNAME_CLAIM when it makes a valid username here, else the subject."""
    field = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD)
    for candidate in (claims.get(settings.OIDC_USERNAME_CLAIM), subject):
        if isinstance(candidate, str):
            try:
                return field.clean(candidate.strip(), None)
            except ValidationError:
                continue
    raise Refused(_("统一身份认证没有提供可用作账户名的信息，无法登录。请联系系统管理员。"))


def _take_profile(user, claims):
    """The display name (OIDC_NAME_CLAIM) and e-mail address the service gives, as it gives them now."""
    name, email = claims.get(settings.OIDC_NAME_CLAIM), claims.get("email")
    changed = {}
    if isinstance(name, str) and name.strip():
        changed.update(first_name=name.strip()[:150], last_name="")
    if isinstance(email, str) and len(email) <= 254:
        changed.update(email=email)
    changed = {field: value for field, value in changed.items() if getattr(user, field) != value}
    for field, value in changed.items():
        setattr(user, field, value)
    if changed:
        user.save(update_fields=list(changed))


def _follow_office(user, office, claims, created, subject):
    """Leave the account with one membership, in `office`, its roles as the role claims (when followed) say."""
    memberships = list(Membership.objects.select_for_update().select_related("office").filter(user=user))
    membership = next((m for m in memberships if m.office_id == office.pk), None)
    others = [m for m in memberships if m is not membership]
    left = [m.office.code for m in others]
    if membership is None:
        # Moved: the membership goes with the person; what they might do in the old office stays behind.
        membership = others.pop(0) if others else Membership(user=user)
        membership.office, membership.is_supervisor, membership.is_process_owner = office, False, False
    before = {field: getattr(membership, field) for field, _setting in ROLES}
    for field, setting in ROLES:
        claim = getattr(settings, setting)
        if claim:
            setattr(membership, field, _granted(claims.get(claim)))
    for other in others:
        other.delete()
    membership.save()
    roles = {field: getattr(membership, field) for field, _setting in ROLES}
    base = {"username": user.get_username(), "office": office.code}
    if created:
        api.record_event("signon.account_created", record=membership, actor=user,
                         data={**base, "subject": subject, **roles})
    elif left:
        api.record_event("signon.office_changed", record=membership, actor=user, data={**base, "from": left, **roles})
    elif before != roles:
        api.record_event("signon.roles_changed", record=membership, actor=user, data={**base, **roles})


def _granted(value):
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"})


class SignOnView(OIDCAuthenticationRequestView):
    """Sends the browser to the identity service, with this sign-on's state, nonce and PKCE challenge."""

    def get(self, request):
        if not enabled():
            raise Http404
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the identity service sends the browser back; any refusal ends on the login page, saying why."""

    def get(self, request):
        if not enabled():
            raise Http404
        if "code" in request.GET and request.GET.get("state") not in request.session.get("oidc_states", {}):
            # Not a sign-on this browser started here (or one already finished): a forged or replayed answer.
            logger.warning("single sign-on refused: a callback with a state this session did not send")
            messages.error(request, _("这个登录请求已失效或并非由本系统发起，请重新登录。"))
            request.sign_on_refused = True
            return self.login_failure()
        return super().get(request)

    def login_failure(self):
        if not getattr(self.request, "sign_on_refused", False):
            messages.error(self.request, _("统一身份认证登录未成功，请重新登录。"))
        return redirect(settings.LOGIN_URL)
