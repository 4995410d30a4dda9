"""Who may use which page beyond seeing it (seeing is workflows.visibility's job)."""
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from workflows.directory import membership_facts, office_tree, per_user, province_of
from workflows.models import Office, OfficeKind

PROVINCE_KINDS = (OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE)


def can_control_instances(user):
    """Suspend, resume, cancel and retry instances: administrators and process owners."""
    return user.is_authenticated and (
        user.is_superuser or any(owner for _code, _kind, _name, owner in membership_facts(user)))


def dashboard_prefectures(user):
    """The prefecture offices whose dashboard `user` may see: all for the province, its own for a prefecture."""
    if not user.is_authenticated:
        return Office.objects.none()
    prefectures = Office.objects.filter(kind=OfficeKind.PREFECTURE_BUREAU)
    if user.is_superuser:
        return prefectures
    # A province's departments watch the prefectures of their own province, not every province's.
    tree_paths = office_tree()["paths"]
    roots = {province_of(code) for code, kind, _name, _owner in membership_facts(user) if kind in PROVINCE_KINDS}
    provinces = sorted(tree_paths[root] for root in roots if root in tree_paths)
    if provinces:
        return prefectures.filter(reduce(or_, [Q(path__startswith=path) for path in provinces]))
    return prefectures.filter(members__user=user)


def has_dashboard(user):
    """Whether `user` has a dashboard to see (dashboard_prefectures): a prefecture bureau's member has its own,
    known from the memberships without another query."""
    kinds = {kind for _code, kind, _name, _owner in membership_facts(user)}
    if user.is_authenticated and (user.is_superuser or kinds.intersection(PROVINCE_KINDS)):
        # Asked by the menu and by the dashboard itself: once per request.
        return per_user(user, "_webui_has_dashboard", lambda: dashboard_prefectures(user).exists())
    return OfficeKind.PREFECTURE_BUREAU in kinds


def works_for_social_org(user):
    """Whether `user` works for a social organisation (social_orgs_of is not empty)."""
    return any(kind == OfficeKind.SOCIAL_ORG for _code, kind, _name, _owner in membership_facts(user))


def require(allowed):
    if not allowed:
        raise PermissionDenied


def social_orgs_of(user):
    """The social organisations `user` works for (the offices that hold services and bid in procurements)."""
    if not user.is_authenticated:
        return Office.objects.none()
    return Office.objects.filter(kind=OfficeKind.SOCIAL_ORG, members__user=user)
