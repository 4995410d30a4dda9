"""Who may use which page beyond seeing it (seeing is workflows.visibility's job)."""
from django.core.exceptions import PermissionDenied

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
    if user.is_superuser or Membership.objects.filter(user=user, office__kind__in=PROVINCE_KINDS).exists():
        return prefectures
    return prefectures.filter(members__user=user)


def require(allowed):
    if not allowed:
        raise PermissionDenied


def social_orgs_of(user):
    """The social organisations `user` works for (the offices that hold services and bid in procurements)."""
    if not user.is_authenticated:
        return Office.objects.none()
    return Office.objects.filter(kind=OfficeKind.SOCIAL_ORG, members__user=user)
