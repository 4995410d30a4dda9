"""Who sees what: the offices whose instances and tasks a user may look at.

Province offices see everything. A prefecture bureau sees its counties and their
stations, a county bureau its stations and contracts, a station itself. A social
organisation sees only what it holds and an evaluator what names it. Province-wide
instances (the provincial procurement, whose data names no office) are visible to
the province, prefecture and county bureaus, not to stations or outside parties.

Instances are matched by the offices their data names (keys below), through InstanceOffice: a row per
key naming an office, with the office's tree path, kept in step with the data by the engine's data hook.
A bureau's subtree is a path prefix, so each test is an index lookup whatever the size of the tree,
never a list of office codes nor a test on instance data.
"""
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.db.models import Q

from engine import api
from engine.api import clock
from engine.extensions import on_data_written
from engine.models import CommentMention, HumanTask
from engine.models import TaskState

from .directory import office_tree, per_user, working_memberships
from .models import InstanceOffice, Office, OfficeKind

# Data keys by which an instance names the offices it concerns.
OFFICE_DATA_KEYS = ("county", "station", "social_org", "evaluator", "prefecture")

SEES_EVERYTHING = {OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE}
# Bureaus oversee the offices below them in the tree, and see the province-wide instances.
SEES_DESCENDANTS = {OfficeKind.PREFECTURE_BUREAU, OfficeKind.COUNTY_BUREAU}
# Offices that instances name in their data without being above the instance's county or station.
NAMED_BY_DATA = {OfficeKind.SOCIAL_ORG, OfficeKind.EVALUATOR}


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything, or the instances and tasks of these offices."""

    all: bool = False
    offices: frozenset = frozenset()
    province_wide: bool = False  # instances whose data names no office (the provincial procurement)
    own: frozenset = frozenset()  # the user's offices
    subtrees: frozenset = frozenset()  # tree paths of the offices the user oversees: they and all below them

    def __contains__(self, office_code):
        return self.all or office_code in self.offices


EVERYTHING = Scope(all=True, province_wide=True)
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
    if any(kind in SEES_EVERYTHING for _code, kind in rows):
        return EVERYTHING
    own = {code for code, _kind in rows}
    overseen = [code for code, kind in rows if kind in SEES_DESCENDANTS]
    paths = office_tree()["paths"]
    return Scope(offices=frozenset(own | _descendants(overseen)), province_wide=bool(overseen),
                 own=frozenset(own), subtrees=frozenset(paths[code] for code in overseen if code in paths))


def _descendants(codes):
    """The offices below `codes` in the tree, walked in the office tree the directory keeps in memory."""
    children = office_tree()["children"] if codes else {}
    found, level = set(), list(codes)
    while level:
        level = [c for code in level for c in children.get(code, ()) if c not in found]
        found.update(level)
    return found


def named_offices(data):
    """{key: office code} of the offices `data` names ("" for a value that is not a code); {"": ""} when
    it names none."""
    if not isinstance(data, dict):
        return {"": ""}
    named = {key: data[key] if isinstance(data[key], str) else "" for key in OFFICE_DATA_KEYS if key in data}
    return named or {"": ""}


def _link(instance_id, key, office, paths):
    return InstanceOffice(id=f"{instance_id}:{key}", instance_id=instance_id, key=key, office=office,
                          path=paths.get(office, "") if office else "")


def links_for(instance_id, data):
    """The InstanceOffice rows of an instance with `data`."""
    paths = office_tree()["paths"]
    return [_link(instance_id, key, office, paths) for key, office in named_offices(data).items()]


@on_data_written
def _links_follow_data(instance, before):
    """The instance's InstanceOffice rows that change with its data: (to insert, to delete)."""
    after, before = named_offices(instance.data), named_offices(before) if before is not None else {}
    paths = office_tree()["paths"] if after != before else {}
    return ([_link(instance.pk, key, office, paths) for key, office in after.items() if before.get(key) != office],
            [_link(instance.pk, key, office, {}) for key, office in before.items() if after.get(key) != office])


def _offices_condition(scope, code_field):
    """A Q on rows with an office code (`code_field`) and a tree path: the offices `scope` covers."""
    return reduce(or_, [Q(path__startswith=path) for path in sorted(scope.subtrees)],
                  Q(**{f"{code_field}__in": sorted(scope.own)}))


def _visible_links(scope):
    """The InstanceOffice rows of the instances `scope` covers: one index lookup per office or subtree."""
    condition = _offices_condition(scope, "office")
    if scope.province_wide:
        condition |= Q(key="")
    return InstanceOffice.objects.filter(condition)


def _instance_condition(scope):
    return Q(pk__in=_visible_links(scope).values("instance_id"))


def naming(key, office_code, field="pk"):
    """A Q on the instance `field` (a ProcessInstance's pk, a task's instance): the instances whose data names
    `office_code` under `key`; one index lookup."""
    return Q(**{f"{field}__in": InstanceOffice.objects.filter(office=office_code, key=key).values("instance_id")})


def within(office_codes, province_wide=False, field="pk"):
    """A Q on the instance `field`: the instances whose data names one of `office_codes` or an office below
    them, and with `province_wide` those that name no office; a path prefix per office, never a list of the
    offices below."""
    paths = office_tree()["paths"]
    conditions = [Q(path__startswith=paths[code]) for code in sorted(office_codes) if code in paths]
    conditions += [Q(key="")] if province_wide else []
    if not conditions:
        return Q(**{f"{field}__in": []})
    return Q(**{f"{field}__in": InstanceOffice.objects.filter(reduce(or_, conditions)).values("instance_id")})


def instances_visible_to(user, queryset):
    """The rows of a ProcessInstance queryset that `user` may see."""
    scope = visible_scope(user)
    if scope.all:
        return queryset
    return queryset.filter(_instance_condition(scope))


def tasks_visible_to(user, queryset, open_only=False):
    """The rows of a HumanTask queryset that `user` may see: its offices' tasks and those of visible instances.
    `open_only`: the queryset holds open tasks only, so the visible ones are sought among those alone."""
    scope = visible_scope(user)
    if scope.all:
        return queryset
    # A union, not an OR of two subqueries: each half is read through its own index.
    tasks = HumanTask.objects.open() if open_only else HumanTask.objects.all()
    of_instances = tasks.filter(instance__in=_visible_links(scope).values("instance_id"))
    offices = Office.objects.filter(_offices_condition(scope, "code")).values("code")
    of_offices = tasks.filter(office__in=offices)
    return queryset.filter(pk__in=of_instances.order_by().values("pk").union(of_offices.order_by().values("pk")))


def offices_in_view(user, kind):
    """The offices of `kind` a user's lists may be filtered by: every one for the province; else the
    offices the user sees and those above them (a station's county), and for an organisation or an
    evaluator the counties and stations its instances name."""
    offices = Office.objects.filter(kind=kind)
    scope = visible_scope(user)
    if scope.all:
        return offices
    codes = set(scope.offices)
    if not scope.offices:
        return offices.filter(code__in=codes)
    tree = office_tree()
    parents = tree["parents"]
    for code in scope.offices:
        if code in parents:
            parent = parents[code]
            codes.update((parent, parents.get(parent)))
    # Only an organisation's or an evaluator's code stands in the data keys read here.
    outside = sorted(code for code in scope.offices if tree["kinds"].get(code) in NAMED_BY_DATA)
    if outside:
        named = InstanceOffice.objects.filter(office__in=outside, key__in=("social_org", "evaluator"))
        codes.update(InstanceOffice.objects.filter(instance__in=named.values("instance_id"),
                                                   key__in=("county", "station")).values_list("office", flat=True))
    return offices.filter(code__in=codes - {None})


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
    if scope.all:
        return True
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
