"""Making, finding and revoking API tokens (the `apitoken` command and the admin use these)."""
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from engine.api import clock, record_event
from workflows.models import Membership, Office, OfficeKind

from .models import LAST_USE_RESOLUTION_SECONDS, ApiToken, new_token, token_digest

ACCOUNT_PREFIX = "token:"
# A name becomes part of a username and of @mentions: plain characters only.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class TokenError(ValueError):
    pass


def create_token(office_code, name, *, supervisor=False, process_owner=False, by=""):
    """Make a token for `office_code` named `name`; returns (ApiToken, the token). Only the token's digest is
    kept, so the token is shown this once."""
    if not NAME_PATTERN.match(name or ""):
        raise TokenError(f"the name must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or "
                         f"digit: {name!r}")
    office = Office.objects.filter(code=office_code).first()
    if office is None:
        raise TokenError(f"no office {office_code!r}")
    if process_owner and office.kind != OfficeKind.PROVINCE_CIVIL_AFFAIRS:
        raise TokenError("only the provincial civil-affairs department owns the process definitions")
    username = ACCOUNT_PREFIX + name
    users = get_user_model().objects
    if ApiToken.objects.filter(name=name).exists() or users.filter(username=username).exists():
        raise TokenError(f"a token named {name!r} exists already (names are kept after revocation: the audit "
                         f"trail names them)")
    token = new_token()
    with transaction.atomic():
        user = users.create_user(username)  # no usable password: it cannot log in to the pages
        Membership.objects.create(user=user, office=office, is_supervisor=supervisor, is_process_owner=process_owner)
        row = ApiToken.objects.create(name=name, office=office, user=user, digest=token_digest(token),
                                    created_at=clock.now(), created_by=by)
        record_event("apitoken.created", actor=by or None, record=row, data={
            "name": name, "office": office.code, "supervisor": supervisor, "process_owner": process_owner})
    return row, token


def revoke_token(name, *, by=""):
    """Revoke a token for good: its service account is deactivated and leaves its office. Returns the row."""
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise TokenError(f"no token named {name!r}")
        if row.is_revoked:
            return row
        row.revoked_at = clock.now()
        row.save(update_fields=["revoked_at"])
        get_user_model().objects.filter(pk=row.user_id).update(is_active=False)
        Membership.objects.filter(user_id=row.user_id).delete()
        record_event("apitoken.revoked", actor=by or None, record=row, data={"name": name, "office": row.office.code})
    return row


def token_user(token):
    """The service account of a valid token, or None; notes the token's use."""
    row = ApiToken.objects.select_related("user").filter(digest=token_digest(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= timedelta(seconds=LAST_USE_RESOLUTION_SECONDS):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
