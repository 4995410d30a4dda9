"""Who sees what: the offices whose instances and tasks a user may look at.

A province's departments see their province: its offices and what they do. A prefecture bureau sees its
counties and their stations, a county bureau its stations and contracts, a station itself. A social
organisation sees only what it holds and an evaluator what names it. A province's procurement names its
province ("province") and no office below it: it is visible to that province's departments and bureaus,
not to its stations nor to outside parties. Its challenges and complaints name the province as their
"purchaser": its departments see them, as does the organisation that filed them. Instances that name no
office at all, started before procurements named their province, belong to the home province.

Instances are matched by the offices their data names (keys below), through InstanceOffice: a row per
key naming an office, with the office's tree path, kept in step with the data by the engine's data hook.
A bureau's or a province's subtree is a path prefix, so each test is an index lookup whatever the size of
the tree, never a list of office codes nor a test on instance data.

A province's departments see exactly what lies under their province's root: for them InstanceRoot, a row
per instance and tree root with the instance's start, gives their instances latest first as one index
range, where walking the nation's instances in start order would test thousands of others on the way.
"""
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.db.models import Q

from engine import api
from engine.api import clock
from engine.extensions import on_data_written
from engine.models import CommentMention, HumanTask, ProcessInstance
from engine.models import TaskState

from .directory import home_province, office_tree, per_user, province_of, working_memberships
from .models import InstanceOffice, InstanceRoot, Office, OfficeKind

# Data keys by which an instance names the offices it concerns.
OFFICE_DATA_KEYS = ("county", "station", "social_org", "evaluator", "prefecture", "province", "purchaser")

# A province's departments oversee the whole province: the offices below its civil-affairs department.
PROVINCE_DEPARTMENTS = {OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE}
# Bureaus oversee the offices below them in the tree, and see their province's province-wide instances.
SEES_DESCENDANTS = {OfficeKind.PREFECTURE_BUREAU, OfficeKind.COUNTY_BUREAU}
# Instances whose roots are written again at once: a bound on the statements' parameters.
REBUILD_CHUNK = 1000
# Offices that instances name in their data without being above the instance's county or station.
NAMED_BY_DATA = {OfficeKind.SOCIAL_ORG, OfficeKind.EVALUATOR}


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything, or the instances and tasks of these offices."""

    all: bool = False
    offices: frozenset = frozenset()
    provinces: frozenset = frozenset()  # civil-affairs departments whose province-wide instances are seen
    own: frozenset = frozenset()  # the user's offices
    overseen: frozenset = frozenset()  # offices the user oversees: they and all below them
    subtrees: frozenset = frozenset()  # the overseen offices' tree paths
    province_level: bool = False  # the user works in a province's department

    def __contains__(self, office_code):
        return self.all or office_code in self.offices


EVERYTHING = Scope(all=True, province_level=True)
NOTHING = Scope()


def visible_scope(user):
    """The user's Scope; computed once per user object (directory.per_user)."""
    if user is None or not user.is_authenticated:
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    # Per day too: a substitution gives the offices of the person stood in for on its days only.
    return per_user(user, f"_workflows_scope_{clock.today_in_china()}", lambda: _scope(working_memberships(user)))


def _scope(rows):
    own = {code for code, _kind in rows}
    # A province department oversees its province from the top: the civil-affairs department.
    overseen = {province_of(code) if kind in PROVINCE_DEPARTMENTS else code
                for code, kind in rows if kind in PROVINCE_DEPARTMENTS | SEES_DESCENDANTS} - {None}
    paths = office_tree()["paths"]
    return Scope(offices=frozenset(own | overseen | _descendants(overseen)),
                 provinces=frozenset(province_of(code) for code in overseen) - {None}, own=frozenset(own),
                 overseen=frozenset(overseen), subtrees=frozenset(paths[code] for code in overseen if code in paths),
                 province_level=any(kind in PROVINCE_DEPARTMENTS for _code, kind in rows))


def _descendants(codes):
    """The offices below `codes` in the tree, walked in the office tree the directory keeps in memory."""
    children = office_tree()["children"] if codes else {}
    found, level = set(), list(codes)
    while level:
        level = [c for code in level for c in children.get(code, ()) if c not in found]
        found.update(level)
    return found


def province_wide(provinces):
    """A Q on InstanceOffice rows: the province-wide instances of `provinces` (civil-affairs departments), and
    for the home province those that name no office."""
    conditions = [Q(key="province", office__in=sorted(provinces))] if provinces else []
    if home_province() in provinces:
        conditions.append(Q(key=""))
    return reduce(or_, conditions) if conditions else None


def named_offices(data):
    """{key: office code} of the offices `data` names ("" for a value that is not a code); {"": ""} when
    it names none."""
    if not isinstance(data, dict):
        return {"": ""}
    named = {key: data[key] if isinstance(data[key], str) else "" for key in OFFICE_DATA_KEYS if key in data}
    return named or {"": ""}


def year_of(data):
    """The year `data` names (a whole number), or None."""
    year = data.get("year") if isinstance(data, dict) else None
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    # Kept in a 32-bit column on both databases.
    return year if isinstance(year, int) and not isinstance(year, bool) and -2**31 <= year < 2**31 else None


def _link(instance_id, key, office, year, paths):
    return InstanceOffice(id=f"{instance_id}:{key}", instance_id=instance_id, key=key, office=office, year=year,
                          path=paths.get(office, "") if office else "")


def links_for(instance_id, data):
    """The InstanceOffice rows of an instance with `data`."""
    paths, year = office_tree()["paths"], year_of(data)
    return [_link(instance_id, key, office, year, paths) for key, office in named_offices(data).items()]


@on_data_written
def _links_follow_data(instance, before):
    """The instance's InstanceOffice rows that change with its data: (to insert, to delete)."""
    year = year_of(instance.data)
    # A new year changes every row.
    after = {(key, office, year) for key, office in named_offices(instance.data).items()}
    before = {(key, office, year_of(before)) for key, office in named_offices(before).items()} \
        if before is not None else set()
    paths = office_tree()["paths"] if after != before else {}
    return ([_link(instance.pk, key, office, year, paths) for key, office, year in after - before],
            [_link(instance.pk, key, office, year, {}) for key, office, year in before - after])


def _roots(named, paths):
    """The tree roots under which the offices `named` ({key: code}) lie; the home province's for none."""
    if named == {"": ""}:
        home = home_province()
        return {home} if home else set()
    return {paths[code].split("/")[1] for code in named.values() if paths.get(code)}


def _root_row(instance_id, root, started_at):
    return InstanceRoot(id=f"{instance_id}:{root}", instance_id=instance_id, root=root, started_at=started_at)


def roots_for(instance_id, started_at, data):
    """The InstanceRoot rows of an instance started at `started_at` with `data`."""
    return [_root_row(instance_id, root, started_at) for root in _roots(named_offices(data), office_tree()["paths"])]


@on_data_written
def _roots_follow_data(instance, before):
    """The instance's InstanceRoot rows that change with its data: (to insert, to delete)."""
    named = named_offices(instance.data)
    earlier_named = named_offices(before) if before is not None else None
    if named == earlier_named:  # most steps write a form's data and name the same offices
        return [], []
    paths = office_tree()["paths"]
    after = _roots(named, paths)
    earlier = _roots(earlier_named, paths) if earlier_named is not None else set()
    return ([_root_row(instance.pk, root, instance.started_at) for root in after - earlier],
            [_root_row(instance.pk, root, instance.started_at) for root in earlier - after])


def rebuild_roots(instance_ids):
    """Write again the InstanceRoot rows of the instances `instance_ids` (distinct ids) from their data: after
    offices moved to another root of the tree."""
    ids = list(instance_ids)
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start:start + REBUILD_CHUNK]
        rows = [row for pk, started_at, data in ProcessInstance.objects.filter(pk__in=chunk).values_list(
            "pk", "started_at", "data") for row in roots_for(pk, started_at, data)]
        InstanceRoot.objects.filter(instance__in=chunk).delete()
        InstanceRoot.objects.bulk_create(rows)


def _whole_root(scope):
    """The tree root whose instances are exactly those `scope` covers, or None: a province's departments see
    all that lies under their province's civil-affairs department, and its province-wide instances lie there."""
    if len(scope.subtrees) != 1:
        return None
    subtree = next(iter(scope.subtrees))
    root = subtree.split("/")[1]
    paths = office_tree()["paths"]
    if subtree != f"/{root}/" or scope.provinces != {root} or \
            not all(paths.get(code, "").startswith(subtree) for code in scope.own):
        return None
    return root


def _offices_condition(scope, code_field):
    """A Q on rows with an office code (`code_field`) and a tree path: the offices `scope` covers."""
    return reduce(or_, [Q(path__startswith=path) for path in sorted(scope.subtrees)],
                  Q(**{f"{code_field}__in": sorted(scope.own)}))


def _visible_links(scope):
    """The InstanceOffice rows of the instances `scope` covers: one index lookup per office or subtree."""
    condition, wide = _offices_condition(scope, "office"), province_wide(scope.provinces)
    return InstanceOffice.objects.filter(condition | wide if wide else condition)


def _instance_condition(scope):
    return Q(pk__in=_visible_links(scope).values("instance_id"))


def naming(key, office_code, field="pk"):
    """A Q on the instance `field` (a ProcessInstance's pk, a task's instance): the instances whose data names
    `office_code` under `key`; one index lookup."""
    return Q(**{f"{field}__in": InstanceOffice.objects.filter(office=office_code, key=key).values("instance_id")})


def instances_within(office_codes, with_province_wide=False, year=None):
    """The ids (a subquery) of the instances whose data names one of `office_codes` or an office below them,
    and with `with_province_wide` the province-wide instances of their provinces; of `year` if given. A path
    prefix per office, never a list of the offices below, and the year read beside it, not from the data."""
    paths = office_tree()["paths"]
    conditions = [Q(path__startswith=paths[code]) for code in sorted(office_codes) if code in paths]
    wide = province_wide({province_of(code) for code in office_codes} - {None}) if with_province_wide else None
    conditions += [wide] if wide else []
    if not conditions:
        return InstanceOffice.objects.none().values("instance_id")
    links = InstanceOffice.objects.filter(reduce(or_, conditions))
    return (links.filter(year=year) if year is not None else links).values("instance_id")


def within(office_codes, with_province_wide=False, field="pk"):
    """A Q on the instance `field`: the instances within `office_codes` (instances_within)."""
    return Q(**{f"{field}__in": instances_within(office_codes, with_province_wide)})


def instances_visible_to(user, queryset, latest_first=False):
    """The rows of a ProcessInstance queryset that `user` may see; `latest_first`: ordered by their start, the
    latest first (for a province's departments, in the order of their root's rows, walked in its index)."""
    scope = visible_scope(user)
    root = None if scope.all else _whole_root(scope)
    if root is not None:
        visible = queryset.filter(tree_roots__root=root)
        return visible.order_by("-tree_roots__started_at", "pk") if latest_first else visible
    visible = queryset if scope.all else queryset.filter(_instance_condition(scope))
    # The id after the start: pages of a list neither skip nor repeat instances started at the same moment.
    return visible.order_by("-started_at", "pk") if latest_first else visible


def tasks_visible_to(user, queryset, open_only=False, of_offices=None):
    """The rows of a HumanTask queryset that `user` may see: its offices' tasks and those of visible instances.
    `open_only`: the queryset holds open tasks only, so the visible ones are sought among those alone.
    `of_offices`: the offices the queryset's tasks are of (an inbox's); when the user sees every task of each,
    the queryset is theirs as it is, without a test per task of its instance."""
    scope = visible_scope(user)
    if scope.all or (of_offices is not None and all(code in scope for code in of_offices)):
        return queryset
    # A union, not an OR of two subqueries: each half is read through its own index.
    tasks = HumanTask.objects.open() if open_only else HumanTask.objects.all()
    of_instances = tasks.filter(instance__in=_visible_links(scope).values("instance_id"))
    offices = Office.objects.filter(_offices_condition(scope, "code")).values("code")
    of_offices = tasks.filter(office__in=offices)
    return queryset.filter(pk__in=of_instances.order_by().values("pk").union(of_offices.order_by().values("pk")))


def offices_in_view(user, kind):
    """The offices of `kind` a user's lists may be filtered by: every one for an administrator; else the
    offices the user sees and those above them (a station's county), and for an organisation or an
    evaluator the counties and stations its instances name."""
    offices = Office.objects.filter(kind=kind)
    scope = visible_scope(user)
    if scope.all:
        return offices
    tree = office_tree()
    parents = tree["parents"]
    codes = set(scope.own)
    for code in scope.own | scope.overseen:
        parent = parents.get(code)
        codes.update((parent, parents.get(parent)))
    # Only an organisation's or an evaluator's code stands in the data keys read here.
    outside = sorted(code for code in scope.own if tree["kinds"].get(code) in NAMED_BY_DATA)
    if outside:
        named = InstanceOffice.objects.filter(office__in=outside, key__in=("social_org", "evaluator"))
        codes.update(InstanceOffice.objects.filter(instance__in=named.values("instance_id"),
                                                   key__in=("county", "station")).values_list("office", flat=True))
    scope = Scope(own=frozenset(codes - {None}), subtrees=scope.subtrees)
    return offices.filter(_offices_condition(scope, "code"))


def can_see_instance(user, instance):
    scope = visible_scope(user)
    if scope.all:
        return True
    return type(instance).objects.filter(pk=instance.pk).filter(_instance_condition(scope)).exists()


def office_can_see_instance(office_code, instance):
    """Whether the people of an office see an instance (a comment that mentions the office reaches them)."""
    office = Office.objects.filter(code=office_code).values_list("code", "kind").first()
    if office is None:
        return False
    scope = _scope([office])
    return type(instance).objects.filter(pk=instance.pk).filter(_instance_condition(scope)).exists()


def unseeing_mentions(mentions, instance):
    """The labels of the people and offices a comment mentions (api.mentioned) who cannot see the instance."""
    users = {u.get_username(): u for u in get_user_model().objects.filter(
        username__in=[m["code"] for m in mentions if m["kind"] == CommentMention.USER])}
    return [m["label"] for m in mentions if not (
        can_see_instance(users[m["code"]], instance) if m["kind"] == CommentMention.USER
        else office_can_see_instance(m["code"], instance))]


def can_work_on(user, task):
    """Whether `user` may claim and complete `task`: it is still open and the user works in its office."""
    if user is None or not user.is_authenticated or task.state not in TaskState.ACTIVE:
        return False
    return bool(task.office) and task.office in api.working_offices(user)[0]
