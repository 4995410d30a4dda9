"""Dashboards for the province and each prefecture: station phases, deadline compliance, overdue work,
and where instances wait on the diagram."""
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine.api import clock
from engine.models import DefinitionVersion, HumanTask, MessageSubscription, ProcessDefinition, ProcessInstance, Timer
from engine.models import InstanceState
from engine.models import TaskState, overdue_condition
from workflows.compliance import completed_counts
from workflows.models import Office, OfficeKind
from workflows.planning.models import AnnualPlan, Evaluation, EvaluationState, PlanState, ServiceAgreement
from workflows.service.models import StationDeployment
from workflows.visibility import instances_visible_to, visible_scope, within

from ..offices import office_names
from ..permissions import dashboard_prefectures, require
from .access import visible_version
from .inbox import task_rows, task_workbook
from .instances import diagram_response

# A station's phase in its county's year, in lifecycle order.
PHASES = [
    ("not_started", gettext_lazy("未启动")), ("planning", gettext_lazy("年度计划")),
    ("procurement", gettext_lazy("政府采购")), ("agreement", gettext_lazy("签订协议")),
    ("service", gettext_lazy("驻站服务")), ("evaluation", gettext_lazy("绩效评价")),
    ("evaluated", gettext_lazy("已评价")),
]
PHASE_COLOURS = ["#cbd2d9", "#f6ad55", "#63b3ed", "#9f7aea", "#48bb78", "#ed64a6", "#2f855a"]
# The page lists the longest overdue; the export has them all.
OVERDUE_LIMIT = 50
HEAT_PROCESS = "county_annual_cycle"


def station_phase(station, county, plans, agreements, deployments, evaluations):
    evaluation = evaluations.get(county)
    if evaluation == EvaluationState.CONCLUDED:
        return "evaluated"
    if evaluation:
        return "evaluation"
    if station in deployments:
        return "service"
    if county in agreements:
        return "agreement"
    if plans.get(county) == PlanState.FILED:
        return "procurement"
    if county in plans:
        return "planning"
    return "not_started"


def phases_by_prefecture(prefectures, year):
    """{prefecture code: {phase: number of stations}} for the year."""
    stations = list(Office.objects.filter(kind=OfficeKind.STATION, parent__parent__in=prefectures)
                    .values_list("code", "parent__code", "parent__parent__code"))
    # The prefectures' own records, not the nation's: a province's dashboard at national size read 40,000
    # deployments to place its 1,300 stations.
    counties = {"county__parent__in": prefectures}
    plans = dict(AnnualPlan.objects.filter(year=year, **counties).values_list("county__code", "state"))
    agreements = set(ServiceAgreement.objects.filter(year=year, **counties).values_list("county__code", flat=True))
    deployments = set(StationDeployment.objects.filter(agreement__year=year, station__parent__parent__in=prefectures)
                      .values_list("station__code", flat=True))
    evaluations = dict(Evaluation.objects.filter(year=year, **counties).values_list("county__code", "state"))
    counts = {p.code: {key: 0 for key, _label in PHASES} for p in prefectures}
    for station, county, prefecture in stations:
        counts[prefecture][station_phase(station, county, plans, agreements, deployments, evaluations)] += 1
    return counts


def oversees(user, prefecture_codes):
    """Whether `user` sees the prefectures whole: their dashboard needs no test of what the user may see."""
    scope = visible_scope(user)
    return all(code in scope for code in prefecture_codes)


def scoped_instances(user, prefecture_codes, year):
    """The instances of the prefectures (their counties and stations) and the province-wide ones, of `year`."""
    instances = ProcessInstance.objects.filter(within(prefecture_codes, with_province_wide=True))
    # A second subquery would mislead the planner's counts.
    if not oversees(user, prefecture_codes):
        instances = instances_visible_to(user, instances)
    return instances.filter(data__year=year) if year else instances


def compliance(tasks, now, completed=None):
    """Per statutory step (user tasks with a due date): done on time, done late, open and overdue.
    `completed`: the kept counts of completed tasks (workflows.compliance), so that only open ones are read."""
    counted = {"open_late": Count("pk", filter=overdue_condition(now)),
               "open_ok": Count("pk", filter=Q(state__in=TaskState.ACTIVE, due_at__gt=now))}
    if completed is None:
        counted |= {"on_time": Count("pk", filter=Q(state=TaskState.COMPLETED, completed_at__lte=F("due_at"))),
                    "late": Count("pk", filter=Q(state=TaskState.COMPLETED, completed_at__gt=F("due_at")))}
    else:
        tasks = tasks.open()
    steps = {}
    for r in tasks.filter(due_at__isnull=False).values("instance__version__definition__key", "bpmn_id", "name") \
            .annotate(**counted).order_by():
        steps[(r["instance__version__definition__key"], r["bpmn_id"], r["name"])] = r
    for key, (on_time, late) in (completed or {}).items():
        steps.setdefault(key, {"open_late": 0, "open_ok": 0}).update(on_time=on_time, late=late)
    rows = []
    for (process, bpmn_id, name), r in sorted(steps.items(), key=lambda item: (item[0][0], item[0][2])):
        on_time, late = r.get("on_time", 0), r.get("late", 0)
        rows.append({"process": process, "step": bpmn_id, "name": name, "on_time": on_time, "late": late,
                     "open_late": r["open_late"], "open_ok": r["open_ok"],
                     "rate": round(100 * on_time / (on_time + late)) if on_time + late else None})
    return rows


def heat_map(version, instances, now):
    """{bpmn id: {count, label, level}}: how many of the version's active instances wait at each element and
    for how many days on average."""
    waiting = instances.filter(version=version, state__in=InstanceState.OPEN)
    since = {}
    for bpmn_id, started in HumanTask.objects.open().filter(instance__in=waiting).values_list("bpmn_id", "created_at"):
        since.setdefault(bpmn_id, []).append(started)
    for model, field in ((Timer, "armed_at"), (MessageSubscription, "created_at")):
        for bpmn_id, started in model.objects.filter(instance__in=waiting).values_list("bpmn_id", field):
            since.setdefault(bpmn_id, []).append(started)
    most = max((len(v) for v in since.values()), default=0)
    cells = {}
    for bpmn_id, starts in since.items():
        days = sum((now - s).total_seconds() for s in starts) / len(starts) / 86400
        cells[bpmn_id] = {"count": len(starts), "days": round(days, 1), "level": max(1, -(-3 * len(starts) // most)),
                          "label": _("%(count)d 件 · 平均 %(days).1f 天") % {"count": len(starts), "days": days}}
    return cells


def _context(request):
    allowed = dashboard_prefectures(request.user)
    require(allowed.exists())
    chosen = request.GET.get("prefecture", "")
    prefectures = list(allowed.filter(code=chosen) if chosen else allowed)
    if chosen and not prefectures:
        require(False)
    try:
        year = int(request.GET.get("year") or clock.today_in_china().year)
    except ValueError:
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
        "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}}}}
    instances = scoped_instances(request.user, codes, year)
    # Completed work is counted as it completes, for the dashboards of whole prefectures.
    completed = completed_counts(codes, year) if oversees(request.user, codes) else None
    steps = compliance(HumanTask.objects.filter(instance__in=instances), now, completed)
    compliance_chart = {"type": "bar", "data": {
        "labels": [s["name"] for s in steps],
        "datasets": [{"label": _("按时办结"), "backgroundColor": "#48bb78", "data": [s["on_time"] for s in steps]},
                     {"label": _("逾期办结"), "backgroundColor": "#f6ad55", "data": [s["late"] for s in steps]},
                     {"label": _("逾期未办"), "backgroundColor": "#e53e3e", "data": [s["open_late"] for s in steps]}]},
        "options": {"indexAxis": "y", "scales": {"x": {"stacked": True, "beginAtZero": True}, "y": {"stacked": True}}}}
    versions = DefinitionVersion.objects.select_related("definition").defer("spec_json").order_by(
        "definition__key", "-number")
    version = versions.filter(pk=request.GET.get("version")).first() if request.GET.get("version", "").isdigit() \
        else None
    if version is None:
        definition = ProcessDefinition.objects.filter(key=HEAT_PROCESS).first() or ProcessDefinition.objects.first()
        if definition is not None:  # its current version (definition.current): the pinned one, else the latest
            pinned = definition.pinned_version_id
            version = versions.filter(**({"pk": pinned} if pinned else {"definition": definition})).first()
    overdue = HumanTask.objects.overdue(now).filter(instance__in=instances).order_by("due_at")
    return render(request, "webui/dashboard.html", {
        "prefectures": allowed, "chosen": request.GET.get("prefecture", ""), "year": year,
        "phase_rows": [(names.get(c, c), [phases[c][key] for key, _label in PHASES]) for c in codes],
        "phases": PHASES, "phase_chart": phase_chart, "steps": steps, "compliance_chart": compliance_chart,
        "overdue": task_rows(overdue[:OVERDUE_LIMIT]), "overdue_total": overdue.count(), "overdue_limit": OVERDUE_LIMIT,
        "versions": versions, "version": version,
        "heat": heat_map(version, instances, now) if version else {},
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
