"""Who may use which page beyond seeing it (seeing is workflows.visibility's job)."""
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from workflows.directory import office_tree, province_of
from workflows.models import Membership, Office, OfficeKind

PROVINCE_KINDS = (OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE)


def can_control_instances(user):
    """Suspend, resume, cancel and retry instances: administrators and process owners."""
    return user.is_authenticated and (
        user.is_superuser or Membership.objects.filter(user=user, is_process_owner=True).exists())


def dashboard_prefectures(user):
    """The prefecture offices whose dashboard `user` may see: all for the province, its own for a prefecture."""
    if not user.is_authenticated:
        return Office.objects.none()
    prefectures = Office.objects.filter(kind=OfficeKind.PREFECTURE_BUREAU)
    if user.is_superuser:
        return prefectures
    # A province's departments watch the prefectures of their own province, not every province's.
    tree_paths = office_tree()["paths"]
    roots = {province_of(code) for code in Membership.objects.filter(
        user=user, office__kind__in=PROVINCE_KINDS).values_list("office__code", flat=True)}
    provinces = sorted(tree_paths[root] for root in roots if root in tree_paths)
    if provinces:
        return prefectures.filter(reduce(or_, [Q(path__startswith=path) for path in provinces]))
    return prefectures.filter(members__user=user)


def require(allowed):
    if not allowed:
        raise PermissionDenied


def social_orgs_of(user):
    """The social organisations `user` works for (the offices that hold services and bid in procurements)."""
    if not user.is_authenticated:
        return Office.objects.none()
    return Office.objects.filter(kind=OfficeKind.SOCIAL_ORG, members__user=user)
