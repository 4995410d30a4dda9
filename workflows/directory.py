"""The office directory the engine asks: lane roles, and which office a task goes to.

Every new task asks which office it goes to; the office tree is read into memory
(per process, for at most a minute, and again at once after an office changes
in this process) so that question costs no query.

What a user's memberships give (their offices, what they see) is kept on the user
object (`per_user`): a request's user lives for one request. An office or a
membership saved or deleted in this process makes it be computed again.
"""
import threading
from time import monotonic

from django.db.models.signals import post_delete, post_save

from engine.extensions import Directory

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

_tree = {"read_at": None, "parents": {}, "children": {}, "kinds": {}, "by_kind": {}}
_lock = threading.Lock()
_changes = {"count": 0}  # offices and memberships saved or deleted in this process


def office_tree():
    """{"parents", "children", "kinds", "by_kind"} of every office by code, as this process last read them."""
    with _lock:
        if _tree["read_at"] is not None and monotonic() - _tree["read_at"] < TREE_SECONDS:
            return _tree
    parents, children, kinds, by_kind = {}, {}, {}, {}
    for code, kind, parent in Office.objects.values_list("code", "kind", "parent__code"):
        parents[code] = parent
        kinds[code] = kind
        if parent is not None:
            children.setdefault(parent, []).append(code)
        by_kind.setdefault(kind, code)
    with _lock:
        _tree.update(read_at=monotonic(), parents=parents, children=children, kinds=kinds, by_kind=by_kind)
    return _tree


def forget_office_tree(**kwargs):
    with _lock:
        _tree["read_at"] = None
        _changes["count"] += 1


def forget_memberships(**kwargs):
    with _lock:
        _changes["count"] += 1


post_save.connect(forget_office_tree, sender=Office, dispatch_uid="workflows.office_tree.save")
post_delete.connect(forget_office_tree, sender=Office, dispatch_uid="workflows.office_tree.delete")
post_save.connect(forget_memberships, sender=Membership, dispatch_uid="workflows.memberships.save")
post_delete.connect(forget_memberships, sender=Membership, dispatch_uid="workflows.memberships.delete")


def per_user(user, key, compute):
    """`compute()` once per user object, kept on it under `key`, and again after an office or a membership
    changed in this process. A user without a primary key (anonymous, unsaved) is not kept."""
    if getattr(user, "pk", None) is None or not hasattr(user, "__dict__"):
        return compute()
    seen = _changes["count"]
    kept = vars(user).get(key)
    if kept is not None and kept[0] == seen:
        return kept[1]
    value = compute()
    vars(user)[key] = (seen, value)
    return value


def memberships(user):
    """(office code, office kind) of each of the user's memberships, once per user object."""
    return per_user(user, "_workflows_memberships", lambda: tuple(
        Membership.objects.filter(user=user).values_list("office__code", "office__kind")))


class OfficeDirectory(Directory):
    def roles(self):
        return ROLES

    def office_for(self, role, instance_data):
        explicit = (instance_data.get("offices") or {}).get(role)
        if explicit:
            return explicit
        tree = office_tree()
        if role in SINGLE_OFFICE_ROLES:
            return tree["by_kind"].get(role, "")
        if role == OfficeKind.PREFECTURE_BUREAU:
            county = instance_data.get("county")
            return tree["parents"].get(county) or instance_data.get("prefecture", "")
        key = ROLE_DATA_KEYS.get(role)
        return str(instance_data.get(key, "")) if key else ""

    def offices_of(self, user):
        return [code for code, _kind in memberships(user)]

    def is_supervisor(self, user, office_code):
        return Membership.objects.filter(user=user, office__code=office_code, is_supervisor=True).exists()

    def is_process_owner(self, user):
        # The provincial civil-affairs department owns the process definitions (DOMAIN.md, offices).
        return Membership.objects.filter(user=user, is_process_owner=True,
                                         office__kind=OfficeKind.PROVINCE_CIVIL_AFFAIRS).exists()
