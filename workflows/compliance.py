"""Deadline compliance counts: per statutory step, how many tasks were completed on time and late.

Kept as steps complete tasks (ComplianceCount), so that the dashboard of a province of a thousand stations
reads a few hundred counts instead of its tens of thousands of completed task rows; open tasks, whose
lateness moves with the clock, are still read live. The counts are grouped the way the dashboard picks
instances (visibility.within): by the data's year, by the prefectures whose subtrees hold an office the data
names, and by whether the instance is its province's province-wide one.

An instance whose year or named offices change has its counts moved with it. `recount` rebuilds them all
from the task rows, a year at a time: after rows written in bulk (loaddemo --history) and when an office
moves in the tree.
An instance naming offices of two provinces is counted in each: a view of both counts it twice.
"""
import hashlib

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When

from engine.extensions import add_to_counts, on_data_written, on_task_closed
from engine.models import HumanTask, TaskState

from .directory import home_province, office_tree, province_of
from .models import ComplianceCount, InstanceOffice, OfficeKind
from .visibility import named_offices, year_of

_COMPLETED = Q(state=TaskState.COMPLETED, due_at__isnull=False, completed_at__isnull=False)
_ON_TIME = Case(When(completed_at__lte=F("due_at"), then=Value(1)), default=Value(0), output_field=IntegerField())


def groups_of(named):
    """[(province, prefecture codes, province-wide)] of an instance naming `named` ({key: office}), one per
    province it concerns."""
    tree = office_tree()
    kinds, paths = tree["kinds"], tree["paths"]
    prefectures, wide = set(), set()
    for key, office in named.items():
        if key == "province" and kinds.get(office) == OfficeKind.PROVINCE_CIVIL_AFFAIRS:
            wide.add(office)
        prefectures.update(c for c in paths.get(office, "").split("/") if kinds.get(c) == OfficeKind.PREFECTURE_BUREAU)
    if named == {"": ""} and home_province():
        wide.add(home_province())
    by_province = {province: [] for province in wide}
    for code in sorted(prefectures):
        province = province_of(code)
        if province:
            by_province.setdefault(province, []).append(code)
    return [(province, tuple(codes), province in wide) for province, codes in sorted(by_province.items())]


def _count(year, group, process, bpmn_id, name, on_time, late):
    province, prefectures, wide = group
    prefectures = " ".join(prefectures)
    key = "\x1f".join((str(year), province, prefectures, "1" if wide else "", process, bpmn_id, name))
    return ComplianceCount(id=hashlib.sha1(key.encode()).hexdigest(), year=year, province=province,
                           prefectures=prefectures, province_wide=wide, process=process, bpmn_id=bpmn_id,
                           name=name, on_time=on_time, late=late)


def _add(year, groups, process, bpmn_id, name, on_time, late):
    for group in groups:
        add_to_counts(_count(year, group, process, bpmn_id, name, on_time, late), ("on_time", "late"))


@on_task_closed
def _count_completed(instance, row):
    year = year_of(instance.data)
    if year is None or row.state != TaskState.COMPLETED or row.due_at is None or row.completed_at is None:
        return
    on_time = row.completed_at <= row.due_at
    _add(year, groups_of(named_offices(instance.data)), instance.version.definition.key, row.bpmn_id, row.name,
         int(on_time), int(not on_time))


@on_data_written
def _counts_follow_data(instance, before):
    """Move the counts of the tasks the instance completed in earlier steps when its year or offices change
    (this step's are counted with its new data)."""
    if before is None:
        return [], []
    old = (year_of(before), groups_of(named_offices(before)))
    new = (year_of(instance.data), groups_of(named_offices(instance.data)))
    if old == new:
        return [], []
    process = instance.version.definition.key
    for bpmn_id, name, on_time, late in _completed_by_step(HumanTask.objects.filter(instance=instance.pk)):
        for (year, groups), sign in ((old, -1), (new, 1)):
            if year is not None:
                _add(year, groups, process, bpmn_id, name, sign * on_time, sign * late)
    return [], []


def _completed_by_step(tasks):
    """(bpmn id, name, on time, late) of the completed tasks with a due date among `tasks`."""
    rows = (tasks.filter(_COMPLETED).values("bpmn_id", "name")
            .annotate(on_time=Sum(_ON_TIME), late=Sum(1 - _ON_TIME)).order_by())
    return [(r["bpmn_id"], r["name"], r["on_time"], r["late"]) for r in rows]


def completed_counts(prefecture_codes, year):
    """{(process, bpmn id, name): (on time, late)} of the tasks completed in the instances of `year` that the
    dashboard of `prefecture_codes` shows: theirs and their provinces' province-wide ones."""
    chosen = set(prefecture_codes)
    provinces = sorted({province_of(code) for code in chosen} - {None})
    totals = {}
    for prefectures, wide, process, bpmn_id, name, on_time, late in ComplianceCount.objects.filter(
            year=year, province__in=provinces).values_list(
            "prefectures", "province_wide", "process", "bpmn_id", "name", "on_time", "late"):
        if wide or chosen.intersection(prefectures.split()):
            counted = totals.setdefault((process, bpmn_id, name), [0, 0])
            counted[0] += on_time
            counted[1] += late
    return {key: tuple(counts) for key, counts in totals.items() if any(counts)}


@transaction.atomic
def recount():
    """Rebuild every count from the task rows; returns how many counts there are."""
    if connection.vendor == "postgresql":
        # Steps that complete tasks meanwhile wait to add theirs: their tasks are not among the rows read here.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(ComplianceCount._meta.db_table)} "
                           "IN SHARE ROW EXCLUSIVE MODE")
    ComplianceCount.objects.all().delete()
    counted = 0
    # A year at a time: the instances' offices are held in memory, and a nation's history has many years.
    for year in InstanceOffice.objects.exclude(year=None).values_list("year", flat=True).distinct().order_by("year"):
        links = InstanceOffice.objects.filter(year=year)
        named = {}
        for instance_id, key, office in links.values_list("instance_id", "key", "office").iterator(chunk_size=10000):
            named.setdefault(instance_id, {})[key] = office
        totals = {}
        rows = (HumanTask.objects.filter(_COMPLETED, instance__in=links.values("instance_id"))
                .values("instance_id", "instance__version__definition__key", "bpmn_id", "name")
                .annotate(on_time=Sum(_ON_TIME), late=Sum(1 - _ON_TIME)).order_by())
        for row in rows.iterator(chunk_size=10000):
            for group in groups_of(named[row["instance_id"]]):
                count = _count(year, group, row["instance__version__definition__key"], row["bpmn_id"], row["name"],
                               0, 0)
                known = totals.setdefault(count.pk, count)
                known.on_time += row["on_time"]
                known.late += row["late"]
        ComplianceCount.objects.bulk_create(totals.values(), batch_size=2000)
        counted += len(totals)
    return counted
