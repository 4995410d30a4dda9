"""The office directory the engine asks: lane roles, and which office a task goes to.

Every new task asks which office it goes to; the office tree is read into memory
so that question costs no query. Once a minute a process asks whether any office
changed since (a count and the latest change: one index read) and reads the tree
again only then, or at once after an office changes in this process; a nation's
tree is 45,000 offices, read in about 0.1 s.

What a user's memberships give (their offices, what they see) is kept on the user
object (`per_user`): a request's user lives for one request. An office or a
membership saved or deleted in this process makes it be computed again.
"""
import threading
from time import monotonic

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save

from engine.api import clock
from engine.extensions import Directory

from .models import Membership, Office, OfficeKind, Substitution
from .sample_data import PROVINCE_REGION

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
# Each province is a tenant of the engine, named by its division code, with definition versions of its own;
# but Guizhou's department, where the programme began, owns the shared versions: its offices and instances
# are of no tenant, and what its process owners deploy every other province starts on until it deploys its own.
SHARED_REGION = PROVINCE_REGION
TREE_SECONDS = 60.0
MENTION_CHARS = 60  # the longest office name or username an @ is matched against
MAX_MENTIONS = 20  # @s read in one text: each costs two queries

_tree = {"read_at": None, "stamp": None, "parents": {}, "children": {}, "kinds": {}, "paths": {}, "by_kind": {},
         "provincial": {}, "tenants": {}}
_names = {"stamp": None, "names": {}}
_lock = threading.Lock()
_changes = {"count": 0}  # offices and memberships saved or deleted in this process


def office_tree():
    """{"parents", "children", "kinds", "paths", "by_kind"} of every office by code, "provincial": for each
    province-level office, the office of each province-level kind with its region, and "tenants": each
    province-level office's tenant ("" for the shared province), as this process last read them."""
    with _lock:
        if _tree["read_at"] is not None and monotonic() - _tree["read_at"] < TREE_SECONDS:
            return _tree
        known = _tree["stamp"] if _tree["read_at"] is not None else None
    stamp = tuple(Office.objects.aggregate(n=Count("pk"), last=Max("changed_at")).values())
    if stamp == known:
        with _lock:
            _tree["read_at"] = monotonic()
        return _tree
    parents, children, kinds, paths, by_kind, regions, by_region = {}, {}, {}, {}, {}, {}, {}
    for code, kind, parent, region, path in Office.objects.values_list("code", "kind", "parent__code", "region",
                                                                        "path"):
        parents[code] = parent
        kinds[code] = kind
        paths[code] = path
        if parent is not None:
            children.setdefault(parent, []).append(code)
        by_kind.setdefault(kind, code)
        if kind in SINGLE_OFFICE_ROLES:
            regions[code] = region
            by_region.setdefault(region, {}).setdefault(kind, code)
    provincial = {code: by_region[region] for code, region in regions.items()}
    tenants = {code: "" if region == SHARED_REGION else region for code, region in regions.items()}
    with _lock:
        _tree.update(read_at=monotonic(), stamp=stamp, parents=parents, children=children, kinds=kinds,
                     paths=paths, by_kind=by_kind, provincial=provincial, tenants=tenants)
    return _tree


def office_names_by_code():
    """{code: (name, English name)} of every office, as of the office tree's last reading. Kept apart from the
    tree: the pages that name offices read it, the processes that only route tasks need not hold it."""
    stamp = office_tree()["stamp"]
    with _lock:
        if _names["stamp"] == stamp:
            return _names["names"]
    names = {code: (name, name_en) for code, name, name_en in Office.objects.values_list("code", "name", "name_en")}
    with _lock:
        _names.update(stamp=stamp, names=names)
    return names


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
post_save.connect(forget_memberships, sender=Substitution, dispatch_uid="workflows.substitutions.save")
post_delete.connect(forget_memberships, sender=Substitution, dispatch_uid="workflows.substitutions.delete")


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


def membership_facts(user):
    """(office code, office kind, office name, whether a process owner) of each of the user's memberships, in
    the order of the codes, once per user object: one read serves a page's menu, permissions and scope."""
    if not getattr(user, "is_authenticated", False):
        return ()
    return per_user(user, "_workflows_memberships", lambda: tuple(
        Membership.objects.filter(user=user).order_by("office__code").values_list(
            "office__code", "office__kind", "office__name", "is_process_owner")))


def memberships(user):
    """(office code, office kind) of each of the user's memberships, once per user object."""
    return tuple((code, kind) for code, kind, _name, _owner in membership_facts(user))


def standing_in(user):
    """The users `user` stands in for today, once per user object and day."""
    from .substitutes import current_for

    if getattr(user, "pk", None) is None:
        return []
    today = clock.today_in_china()
    return per_user(user, f"_workflows_standing_in_{today}", lambda: current_for(user, today))


def working_memberships(user):
    """The user's memberships and those of the people they stand in for: what they see and work on."""
    rows = list(memberships(user))
    for person in standing_in(user):
        rows.extend(row for row in memberships(person) if row not in rows)
    return tuple(rows)


def _named_office(tree, instance_data):
    """The code of the first known office the instance's data names as its county, station, prefecture, or
    for a province-wide instance as its province or purchaser (a procurement, a challenge, a complaint)."""
    for key in ("county", "station", "prefecture", "province", "purchaser"):
        if isinstance(instance_data.get(key), str) and instance_data[key] in tree["parents"]:
            return instance_data[key]
    return None


def _top(tree, code):
    """The office at the top of the tree above `code` (its province's department), or None."""
    parents, seen = tree["parents"], set()
    while code is not None and parents.get(code) is not None and code not in seen:
        seen.add(code)
        code = parents[code]
    return code


def province_of(code):
    """The civil-affairs department heading the province of office `code` (itself for a province department);
    None for an office outside every province (an organisation, an evaluator)."""
    tree = office_tree()
    return tree["provincial"].get(_top(tree, code), {}).get(OfficeKind.PROVINCE_CIVIL_AFFAIRS)


def home_province():
    """The civil-affairs department of the province whose versions are shared (Guizhou's, where the programme
    began); the province of an instance that names none."""
    tree = office_tree()
    return next((code for code, tenant in sorted(tree["tenants"].items())
                 if tenant == "" and tree["kinds"][code] == OfficeKind.PROVINCE_CIVIL_AFFAIRS),
                tree["by_kind"].get(OfficeKind.PROVINCE_CIVIL_AFFAIRS))


class OfficeDirectory(Directory):
    def roles(self):
        return ROLES

    def office_for(self, role, instance_data):
        explicit = (instance_data.get("offices") or {}).get(role)
        if explicit:
            return explicit
        tree = office_tree()
        if role in SINGLE_OFFICE_ROLES:
            return self._provincial(tree, role, instance_data)
        if role == OfficeKind.PREFECTURE_BUREAU:
            county = instance_data.get("county")
            return tree["parents"].get(county) or instance_data.get("prefecture", "")
        key = ROLE_DATA_KEYS.get(role)
        return str(instance_data.get(key, "")) if key else ""

    @staticmethod
    def _provincial(tree, role, instance_data):
        """The office of a province-level role in the province of the offices the instance names; the home
        province's when it names none."""
        top = _top(tree, _named_office(tree, instance_data) or home_province())
        return tree["provincial"].get(top, {}).get(role) or tree["by_kind"].get(role, "")

    def tenant_for(self, instance_data):
        """The division code of the province of the offices the instance names; "" for Guizhou's, and when it
        names none (its provincial lanes go to Guizhou's departments too)."""
        tree = office_tree()
        return tree["tenants"].get(_top(tree, _named_office(tree, instance_data)), "")

    def tenant_of(self, user):
        """The province of the user's offices: bound to it unless it is Guizhou's. Offices outside any province
        (organisations, evaluators) bind no one; a person in two provinces (not a case the programme has) is
        bound to neither only if one is Guizhou, else to the first."""
        tree = office_tree()
        found = {tree["tenants"][top] for top in (_top(tree, code) for code, _kind in memberships(user))
                 if top in tree["tenants"]}
        return "" if not found or "" in found else min(found)

    def tenants(self):
        """Every province but Guizhou, by division code, called by its civil-affairs department's name."""
        return dict(Office.objects.filter(kind=OfficeKind.PROVINCE_CIVIL_AFFAIRS, parent=None).exclude(
            region__in=("", SHARED_REGION)).order_by("region").values_list("region", "name"))

    def offices_of(self, user):
        return [code for code, _kind in memberships(user)]

    def stands_in_for(self, user):
        return standing_in(user)

    def mentioned(self, text):
        """@ followed by an office's code or name, or a username; the longest that matches, since Chinese
        text runs on without a space ("@南明区民政局请核实")."""
        found, seen = [], set()
        for start in [i for i, char in enumerate(text) if char == "@"][:MAX_MENTIONS]:
            tail = text[start + 1:start + 1 + MENTION_CHARS]
            prefixes = [tail[:n] for n in range(len(tail), 0, -1) if not tail[n - 1].isspace()]
            if not prefixes:
                continue
            offices = {key: (code, name) for code, name in Office.objects.filter(
                Q(code__in=prefixes) | Q(name__in=prefixes)).values_list("code", "name") for key in (code, name)}
            users = set(get_user_model().objects.filter(username__in=prefixes).values_list("username", flat=True))
            for prefix in prefixes:
                if prefix in offices:
                    code, name = offices[prefix]
                    mention = {"kind": "office", "code": code, "label": name}
                elif prefix in users:
                    mention = {"kind": "user", "code": prefix, "label": prefix}
                else:
                    continue
                if (mention["kind"], mention["code"]) not in seen:
                    seen.add((mention["kind"], mention["code"]))
                    found.append(mention)
                break
        return found

    def is_supervisor(self, user, office_code):
        return Membership.objects.filter(user=user, office__code=office_code, is_supervisor=True).exists()

    def is_process_owner(self, user):
        # The provincial civil-affairs department owns the process definitions (DOMAIN.md, offices).
        return any(owner and kind == OfficeKind.PROVINCE_CIVIL_AFFAIRS
                   for _code, kind, _name, owner in membership_facts(user))
