"""The office directory the engine asks: lane roles, and which office a task goes to.

Every new task asks which office it goes to; the office tree is read into memory
(per process, for at most a minute, and again at once after an office changes
in this process) so that question costs no query.
"""
import threading
from time import monotonic

from django.db.models.signals import post_delete, post_save

from engine.directory import Directory

from .models import Membership, Office, OfficeKind

# Roles a lane may name, one per kind of office.
ROLES = dict(OfficeKind.choices)

# Where an instance names the office of a role: data key holding the office code.
ROLE_DATA_KEYS = {
    OfficeKind.COUNTY_BUREAU: "county",
    OfficeKind.STATION: "station",
    OfficeKind.SOCIAL_ORG: "social_org",
    OfficeKind.EVALUATOR: "evaluator",
}
SINGLE_OFFICE_ROLES = (OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE)
TREE_SECONDS = 60.0

_tree = {"read_at": None, "parents": {}, "by_kind": {}}
_lock = threading.Lock()


def _office_tree():
    with _lock:
        if _tree["read_at"] is not None and monotonic() - _tree["read_at"] < TREE_SECONDS:
            return _tree
    parents, by_kind = {}, {}
    for code, kind, parent in Office.objects.values_list("code", "kind", "parent__code"):
        parents[code] = parent
        by_kind.setdefault(kind, code)
    with _lock:
        _tree.update(read_at=monotonic(), parents=parents, by_kind=by_kind)
    return _tree


def forget_office_tree(**kwargs):
    with _lock:
        _tree["read_at"] = None


post_save.connect(forget_office_tree, sender=Office, dispatch_uid="workflows.office_tree.save")
post_delete.connect(forget_office_tree, sender=Office, dispatch_uid="workflows.office_tree.delete")


class OfficeDirectory(Directory):
    def roles(self):
        return ROLES

    def office_for(self, role, instance_data):
        explicit = (instance_data.get("offices") or {}).get(role)
        if explicit:
            return explicit
        tree = _office_tree()
        if role in SINGLE_OFFICE_ROLES:
            return tree["by_kind"].get(role, "")
        if role == OfficeKind.PREFECTURE_BUREAU:
            county = instance_data.get("county")
            return tree["parents"].get(county) or instance_data.get("prefecture", "")
        key = ROLE_DATA_KEYS.get(role)
        return str(instance_data.get(key, "")) if key else ""

    def offices_of(self, user):
        return list(Membership.objects.filter(user=user).values_list("office__code", flat=True))

    def is_supervisor(self, user, office_code):
        return Membership.objects.filter(user=user, office__code=office_code, is_supervisor=True).exists()

    def is_process_owner(self, user):
        # The provincial civil-affairs department owns the process definitions (DOMAIN.md, offices).
        return Membership.objects.filter(user=user, is_process_owner=True,
                                         office__kind=OfficeKind.PROVINCE_CIVIL_AFFAIRS).exists()
