"""Dashboards for the province and each prefecture: station phases, deadline compliance, overdue work,
and where instances wait on the diagram."""
from dataclasses import dataclass
from types import SimpleNamespace

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import BooleanField, Count, ExpressionWrapper, F, FloatField, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine import api
from engine.api import calendar, clock
from engine.models import DefinitionVersion, HumanTask, MessageSubscription, ProcessDefinition, ProcessInstance, Timer
from engine.models import InstanceState
from engine.models import TaskState
from workflows.compliance import completed_counts
from workflows.directory import office_tree
from workflows.models import OfficeKind
from workflows.planning.models import AnnualPlan, Evaluation, EvaluationState, PlanState, ServiceAgreement
from workflows.visibility import instances_visible_to, instances_within, visible_scope

from ..offices import office_choices, office_names
from ..permissions import dashboard_prefectures, has_dashboard, require
from .access import visible_version
from .inbox import named, task_workbook
from .instances import diagram_response

# The years the dashboard shows: those its filter field takes.
YEAR = forms.IntegerField(min_value=calendar.YEARS[0], max_value=calendar.YEARS[-1])

# A station's phase in its county's year, in lifecycle order.
PHASES = [
    ("not_started", gettext_lazy("未启动")), ("planning", gettext_lazy("年度计划")),
    ("procurement", gettext_lazy("政府采购")), ("agreement", gettext_lazy("签订协议")),
    ("service", gettext_lazy("驻站服务")), ("evaluation", gettext_lazy("绩效评价")),
    ("evaluated", gettext_lazy("已评价")),
]
PHASE_COLOURS = ["#cbd2d9", "#f6ad55", "#63b3ed", "#9f7aea", "#48bb78", "#ed64a6", "#2f855a"]
# Every label is drawn (Chart.js skips those it finds crowded, leaving bars no one can name): the compliance
# chart asks its box (.chart-box) for a bar's height per statutory step and its axes'. Counts are ticked in whole
# numbers.
CHART_AXES, STEP_BAR = 80, 24
# The page lists the longest overdue; the export has them all.
OVERDUE_LIMIT = 50
HEAT_PROCESS = "county_annual_cycle"


def county_phase(county, plans, agreements, evaluations):
    """The phase of a county's stations that are not in service."""
    evaluation = evaluations.get(county)
    if evaluation == EvaluationState.CONCLUDED:
        return "evaluated"
    if evaluation:
        return "evaluation"
    if county in agreements:
        return "agreement"
    if plans.get(county) == PlanState.FILED:
        return "procurement"
    if county in plans:
        return "planning"
    return "not_started"


def phases_by_prefecture(prefectures, year):
    """{prefecture code: {phase: number of stations}} for the year."""
    # Stations counted from the office tree the process holds, and records per county, not read per station: a
    # province has a thousand stations and their deployments.
    tree = office_tree()
    children, kinds = tree["children"], tree["kinds"]
    stations = [(county, prefecture.code, number) for prefecture in prefectures
                for county in children.get(prefecture.code, ())
                if (number := sum(kinds[c] == OfficeKind.STATION for c in children.get(county, ())))]
    # The prefectures' own records, not the nation's.
    counties = {"county__parent__in": prefectures}
    plans = dict(AnnualPlan.objects.filter(year=year, **counties).values_list("county__code", "state"))
    # A county's stations in service: those its agreement deploys (a deployment's station is of its county).
    deployed = dict(ServiceAgreement.objects.filter(year=year, **counties).values_list("county__code").annotate(
        n=Count("deployments__station", distinct=True)).order_by())
    evaluations = dict(Evaluation.objects.filter(year=year, **counties).values_list("county__code", "state"))
    counts = {p.code: {key: 0 for key, _label in PHASES} for p in prefectures}
    for county, prefecture, number in stations:
        phase = county_phase(county, plans, deployed, evaluations)
        # At most the county's stations: one deployed may since have moved to another county.
        in_service = 0 if phase in ("evaluated", "evaluation") else min(deployed.get(county, 0), number)
        counts[prefecture]["service"] += in_service
        counts[prefecture][phase] += number - in_service
    return counts


def oversees(user, prefecture_codes):
    """Whether `user` sees the prefectures whole: their dashboard needs no test of what the user may see."""
    scope = visible_scope(user)
    return all(code in scope for code in prefecture_codes)


def scoped_instances(user, prefecture_codes, year):
    """The ids (a subquery) of the instances of the prefectures (their counties and stations) and the
    province-wide ones, of `year`: found in the office links alone, without reading the instances, when the
    user sees the prefectures whole."""
    ids = instances_within(prefecture_codes, with_province_wide=True, year=year)
    if oversees(user, prefecture_codes):
        return ids
    return instances_visible_to(user, ProcessInstance.objects.filter(pk__in=ids)).values("pk")


def completed_live(tasks):
    """{(process, bpmn id, name): (on time, late)} of the completed tasks with a due date among `tasks`."""
    rows = (tasks.filter(state=TaskState.COMPLETED, due_at__isnull=False)
            .values("instance__version__definition__key", "bpmn_id", "name")
            .annotate(on_time=Count("pk", filter=Q(completed_at__lte=F("due_at"))),
                      late=Count("pk", filter=Q(completed_at__gt=F("due_at")))).order_by())
    return {(r["instance__version__definition__key"], r["bpmn_id"], r["name"]): (r["on_time"], r["late"])
            for r in rows}


@dataclass
class OpenWork:
    """What the dashboard shows of open work: per statutory step {(process, bpmn id, name): (late, not late)};
    the longest overdue tasks' ids, longest first (at most OVERDUE_LIMIT); and the heat map's waits, [(bpmn id,
    how many, their starts summed in seconds since 1970)]."""

    steps: dict
    overdue: list
    waits: list

    @property
    def overdue_total(self):
        return sum(late for late, _ok in self.steps.values())


# Each row of open_work's statement: what it is, three texts and two numbers.
_STEP, _OVERDUE, _WAIT = "step", "overdue", "wait"


def open_work(instances, version, now):
    """The OpenWork of `instances` (a subquery of ids), with the heat map's waits in `version`: one statement
    that finds the instances once and answers counts rather than rows, so that a province's hundreds of open
    tasks are counted where they lie, not each sent and read into Python.

    A province's instances are found through a thousand office links, its open tasks among them, and the waits
    among those of `version` that are still open. Lateness is judged in the database; waits are summed there as
    seconds since 1970."""
    def sql(queryset):
        return queryset.query.get_compiler(using=queryset.db).as_sql()

    # Each instance read once, with what the steps and the waits ask of it: its process, version and state.
    instance_rows = ProcessInstance.objects.filter(pk__in=RawSQL("SELECT id FROM scoped", [])).values_list(
        "pk", "version_id", "state", "version__definition__key").order_by()
    tasks = HumanTask.objects.open().filter(instance__in=RawSQL("SELECT id FROM instances", [])).annotate(
        since=Seconds("created_at"), late=ExpressionWrapper(Q(due_at__lte=now), output_field=BooleanField()),
    ).values_list("pk", "bpmn_id", "name", "instance_id", "due_at", "late", "since").order_by()
    try:
        ctes = [("scoped(id) AS ({})", *sql(instances))]
    except EmptyResultSet:  # no office to look under
        return OpenWork({}, [], [])
    ctes.append(("instances(id, version_id, state, process) AS ({})", *sql(instance_rows)))
    ctes.append(("task_rows(id, bpmn_id, name, instance_id, due_at, late, since) AS ({})", *sql(tasks)))
    ctes.append(("open_tasks(id, bpmn_id, name, process, due_at, late, since, version_id, state) AS ("
                 "SELECT t.id, t.bpmn_id, t.name, i.process, t.due_at, t.late, t.since, i.version_id, i.state "
                 "FROM task_rows t INNER JOIN instances i ON t.instance_id = i.id)", "", []))
    late = "CASE WHEN late THEN 1 ELSE 0 END"
    selects = [
        (f"SELECT '{_STEP}', process, bpmn_id, name, SUM({late}), SUM(1 - {late}) FROM open_tasks "
         "WHERE due_at IS NOT NULL GROUP BY process, bpmn_id, name", "", []),
        # The id as text: a UUID on PostgreSQL, in a column of text on both databases.
        (f"SELECT '{_OVERDUE}', CAST(id AS TEXT), NULL, NULL, NULL, NULL FROM (SELECT id FROM open_tasks "
         f"WHERE {late} = 1 ORDER BY due_at, id LIMIT {OVERDUE_LIMIT}) overdue", "", []),
    ]
    if version is not None:
        open_states = ", ".join(["%s"] * len(InstanceState.OPEN))
        ctes.append((f"waiting(id) AS (SELECT id FROM instances WHERE version_id = %s AND state IN ({open_states}))",
                     "", [version.pk, *InstanceState.OPEN]))
        branches = [(f"SELECT bpmn_id, since FROM open_tasks WHERE version_id = %s AND state IN ({open_states})",
                     [version.pk, *InstanceState.OPEN])]
        branches += [sql(model.objects.filter(instance__in=RawSQL("SELECT id FROM waiting", [])).annotate(
            since=Seconds(field)).values_list("bpmn_id", "since").order_by())
            for model, field in ((Timer, "armed_at"), (MessageSubscription, "created_at"))]
        selects.append((f"SELECT '{_WAIT}', bpmn_id, NULL, NULL, COUNT(*), SUM(since) FROM ({{}}) waits "
                        "GROUP BY bpmn_id", " UNION ALL ".join(b for b, _p in branches),
                        [p for _b, branch_params in branches for p in branch_params]))
    statement = (f"WITH {', '.join(c.format(q) for c, q, _p in ctes)} "
                 f"{' UNION ALL '.join(t.format(q) for t, q, _p in selects)}")
    params = [p for _t, _q, part_params in (*ctes, *selects) for p in part_params]
    with connections[tasks.db].cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    work = OpenWork({}, [], [])
    for kind, *values in rows:
        if kind == _STEP:
            process, bpmn_id, name, late_count, ok_count = values
            work.steps[process, bpmn_id, name] = (int(late_count), int(ok_count))
        elif kind == _OVERDUE:
            work.overdue.append(values[0])
        else:
            bpmn_id, _none, _none, count, since = values
            work.waits.append((bpmn_id, int(count), float(since)))
    return work


def compliance(open_steps, completed):
    """Per statutory step (user tasks with a due date): done on time, done late, open and overdue, from the
    completed counts (workflows.compliance, or completed_live) and the open ones (OpenWork.steps)."""
    steps = {key: {"on_time": on_time, "late": late, "open_late": 0, "open_ok": 0}
             for key, (on_time, late) in completed.items()}
    for key, (open_late, open_ok) in open_steps.items():
        step = steps.setdefault(key, {"on_time": 0, "late": 0, "open_late": 0, "open_ok": 0})
        step["open_late"], step["open_ok"] = open_late, open_ok
    rows = []
    for (process, bpmn_id, name), r in sorted(steps.items(), key=lambda item: (item[0][0], item[0][2])):
        on_time, late = r["on_time"], r["late"]
        rows.append({"process": process, "step": bpmn_id, "name": name, "on_time": on_time, "late": late,
                     "open_late": r["open_late"], "open_ok": r["open_ok"],
                     "rate": round(100 * on_time / (on_time + late)) if on_time + late else None})
    return rows


def overdue_rows(task_ids, now):
    """The overdue list's rows: only what its columns show, not the inbox's whole row (no due-date
    explanation, no revision state), as it lists up to OVERDUE_LIMIT tasks on every dashboard view. Plain rows,
    not models: building fifty tasks and their instances cost more than reading them."""
    return named([SimpleNamespace(**row) for row in HumanTask.objects.filter(pk__in=task_ids).order_by("due_at").values(
        "id", "name", "office", "state", "due_at", business_key=F("instance__business_key"),
        row_county=KeyTextTransform("county", "instance__data"),
        row_station=KeyTextTransform("station", "instance__data"))], now)


class Seconds(Func):
    """A moment as seconds since 1970, to sum waits in the database."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                           **extra)


def heat_map(waits, now):
    """{bpmn id: {count, label, level}}: how many of a version's active instances wait at each element and for
    how many days on average, from their waits (OpenWork.waits: open tasks, timers and message catches)."""
    most = max((count for _bpmn_id, count, _since in waits), default=0)
    cells = {}
    for bpmn_id, count, since in waits:
        days = (count * now.timestamp() - since) / count / 86400
        cells[bpmn_id] = {"count": count, "days": round(days, 1), "level": max(1, -(-3 * count // most)),
                          "label": _("%(count)d 件 · 平均 %(days).1f 天") % {"count": count, "days": days}}
    return cells


def heat_versions(user, chosen):
    """(the versions the heat map offers, the one shown): the user's province's and the shared ones, and
    unless one is chosen the version its new instances start on."""
    tenant = api.bound_tenant(user)
    versions = DefinitionVersion.objects.select_related("definition").defer("spec_json").order_by(
        "definition__key", "tenant", "-number")
    if tenant:
        versions = versions.filter(tenant__in=("", tenant))
    version = versions.filter(pk=chosen).first() if chosen.isdigit() else None
    if version is None:
        key = HEAT_PROCESS if ProcessDefinition.objects.filter(key=HEAT_PROCESS).exists() else \
            ProcessDefinition.objects.values_list("key", flat=True).first()
        version = api.start_version(key, tenant) if key else None
    return versions, version


def _context(request):
    allowed = dashboard_prefectures(request.user)
    require(has_dashboard(request.user))
    chosen = request.GET.get("prefecture", "")
    prefectures = list(allowed.filter(code=chosen) if chosen else allowed)
    if chosen and not prefectures:
        require(False)
    # A year the filter's field would refuse shows the current one, as one that is not a number does.
    try:
        year = YEAR.clean(request.GET.get("year") or clock.today_in_china().year)
    except ValidationError:
        year = clock.today_in_china().year
    codes = [p.code for p in prefectures]
    return allowed, prefectures, codes, year


@login_required
def dashboard(request):
    allowed, prefectures, codes, year = _context(request)
    now = clock.now()
    phases = phases_by_prefecture(prefectures, year)
    names = office_names(codes)
    phase_chart = {"type": "bar", "data": {
        "labels": [names.get(c, c) for c in codes],
        "datasets": [{"label": str(label), "backgroundColor": PHASE_COLOURS[i],
                      "data": [phases[c][key] for c in codes]} for i, (key, label) in enumerate(PHASES)]},
        "options": {"scales": {"x": {"stacked": True, "ticks": {"autoSkip": False}},
                               "y": {"stacked": True, "beginAtZero": True, "ticks": {"precision": 0}}}}}
    instances = scoped_instances(request.user, codes, year)
    versions, version = heat_versions(request.user, request.GET.get("version", ""))
    work = open_work(instances, version, now)
    # Completed work is counted as it completes, for the dashboards of whole prefectures.
    completed = completed_counts(codes, year) if oversees(request.user, codes) else \
        completed_live(HumanTask.objects.filter(instance__in=instances))
    steps = compliance(work.steps, completed)
    compliance_chart = {"type": "bar", "data": {
        "labels": [s["name"] for s in steps],
        "datasets": [{"label": _("按时办结"), "backgroundColor": "#48bb78", "data": [s["on_time"] for s in steps]},
                     {"label": _("逾期办结"), "backgroundColor": "#f6ad55", "data": [s["late"] for s in steps]},
                     {"label": _("逾期未办"), "backgroundColor": "#e53e3e", "data": [s["open_late"] for s in steps]}]},
        "options": {"indexAxis": "y", "scales": {"x": {"stacked": True, "beginAtZero": True, "ticks": {"precision": 0}},
                                                 "y": {"stacked": True, "ticks": {"autoSkip": False}}}}}
    return render(request, "webui/dashboard.html", {
        "prefectures": office_choices(allowed), "chosen": request.GET.get("prefecture", ""), "year": year,
        "years": calendar.YEARS,
        "phase_rows": [(names.get(c, c), [phases[c][key] for key, _label in PHASES]) for c in codes],
        "phases": PHASES, "phase_chart": phase_chart, "steps": steps, "compliance_chart": compliance_chart,
        "compliance_height": CHART_AXES + STEP_BAR * len(steps),
        "overdue": overdue_rows(work.overdue, now),
        "overdue_total": work.overdue_total, "overdue_limit": OVERDUE_LIMIT, "versions": versions, "version": version,
        "heat": heat_map(work.waits, now),
        "query": request.GET.urlencode(),
    })


@login_required
def export_overdue(request):
    _allowed, _prefectures, codes, year = _context(request)
    overdue = HumanTask.objects.overdue().filter(instance__in=scoped_instances(request.user, codes, year))
    return task_workbook("overdue.xlsx", _("逾期任务"), overdue.order_by("due_at"))


@login_required
def version_diagram(request, version_id):
    return diagram_response(visible_version(request.user, version_id))
