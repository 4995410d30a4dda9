"""Substitutes during leave: who stands in for an absent person, set by that person or by a supervisor of
one of their offices for someone who cannot."""
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from engine import api
from engine.api import clock
from engine.errors import InvalidInput, NotFound, PermissionDenied

from .models import Membership, Office, Substitution

MAX_DAYS = 366  # a substitution longer than a year is an error of input, not a leave


def _user(username, field):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput({field: _("没有用户 %(user)s") % {"user": username}})
    return user


def _offices(user):
    return set(Membership.objects.filter(user=user).values_list("office__code", flat=True))


def may_set_for(actor, absent):
    """Whether `actor` may set `absent`'s substitute: themselves, or a supervisor of one of their offices."""
    if actor.pk == absent.pk or actor.is_superuser:
        return True
    return Membership.objects.filter(user=actor, is_supervisor=True, office__code__in=_offices(absent)).exists()


def eligible(absent, substitute):
    """A substitute works in one of the absent person's offices or in an office directly above one."""
    offices = _offices(absent)
    parents = set(Office.objects.filter(code__in=offices, parent__isnull=False).values_list("parent__code", flat=True))
    return bool(_offices(substitute) & (offices | parents))


def set_substitute(absent, substitute, starts_on, ends_on, reason="", actor=None):
    """Let `substitute` stand in for `absent` (usernames) from `starts_on` to `ends_on` (dates or ISO text);
    returns the Substitution. Refused with the field that is wrong."""
    absent_user, substitute_user = _user(absent, "absent"), _user(substitute, "substitute")
    starts_on, ends_on = _day(starts_on, "starts_on"), _day(ends_on, "ends_on")
    if actor is not None and not may_set_for(actor, absent_user):
        raise PermissionDenied(_("只有本人或其所在单位的负责人可以为 %(user)s 设置代理人") % {"user": absent})
    if absent_user.pk == substitute_user.pk:
        raise InvalidInput({"substitute": _("不能由本人代理自己")})
    if not eligible(absent_user, substitute_user):
        raise InvalidInput({"substitute": _("%(user)s 不在 %(absent)s 所在单位或其上级单位，不能代理") % {
            "user": substitute, "absent": absent}})
    if ends_on < starts_on:
        raise InvalidInput({"ends_on": _("结束日期不能早于开始日期")})
    if ends_on < clock.today_in_china():
        raise InvalidInput({"ends_on": _("结束日期已过")})
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise InvalidInput({"ends_on": _("代理期限不能超过一年")})
    with transaction.atomic():
        row = Substitution.objects.create(absent=absent_user, substitute=substitute_user, starts_on=starts_on,
                                          ends_on=ends_on, reason=(reason or "").strip()[:200],
                                          set_by=api.actor_name(actor) if actor is not None else api.SYSTEM)
        api.record_event("substitution.set", record=row, actor=actor, data={
            "absent": absent, "substitute": substitute, "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(), "reason": row.reason})
    return row


def end_substitution(substitution_id, actor=None):
    """End a substitution today (one that has not begun is removed); returns it."""
    row = Substitution.objects.select_related("absent").filter(pk=substitution_id).first()
    if row is None:
        raise NotFound(_("没有这项代理设置"))
    if actor is not None and not (may_set_for(actor, row.absent) or actor.pk == row.substitute_id):
        raise PermissionDenied(_("只有本人、代理人或其所在单位的负责人可以结束代理"))
    today = clock.today_in_china()
    with transaction.atomic():
        if row.starts_on > today:
            row.ends_on = row.starts_on
            row.delete()
        else:
            row.ends_on = min(row.ends_on, today)
            row.save(update_fields=["ends_on"])
        api.record_event("substitution.ended", record=row, actor=actor, data={
            "absent": row.absent.get_username(), "substitute": row.substitute.get_username(),
            "ends_on": row.ends_on.isoformat()})
    return row


def current_for(user, on=None):
    """The users `user` stands in for on `on` (today, China time)."""
    on = on or clock.today_in_china()
    return list(get_user_model().objects.filter(substituted_by__substitute=user, substituted_by__starts_on__lte=on,
                                                substituted_by__ends_on__gte=on).distinct())


def _day(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput({field: _("“%(value)s”不是有效的日期（YYYY-MM-DD）") % {"value": value}}) from None
