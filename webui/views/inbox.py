"""The task inbox: what a user's offices have to do, with claim, release and reassign."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine import api
from engine.api import calendar, clock
from engine.errors import EngineError
from workflows.models import OfficeKind
from workflows.planning.models import AnnualPlan
from workflows.service.models import ServiceReport
from workflows.visibility import naming, tasks_visible_to

from .. import deadlines
from ..excel import chunks, workbook_response
from ..offices import OfficeField, area_name, clean_offices, office_names
from ..page_forms import PageForm, process_choices
from .access import visible_task
from .comments import mentioning
from .navigation import back

PAGE_SIZE = 50

TABS = [
    ("mine", gettext_lazy("我的待办")),
    ("unclaimed", gettext_lazy("本单位待认领")),
    ("claimed", gettext_lazy("我已认领")),
    ("overdue", gettext_lazy("已逾期")),
    ("soon", gettext_lazy("即将到期")),
]
DUE_CHOICES = [("", gettext_lazy("全部")), (deadlines.LATE, gettext_lazy("已逾期")),
               (deadlines.SOON, gettext_lazy("即将到期")), (deadlines.ON_TIME, gettext_lazy("未到期")),
               ("none", gettext_lazy("无期限"))]


class InboxFilter(PageForm):
    q = forms.CharField(required=False, label=gettext_lazy("搜索"))
    process = forms.ChoiceField(required=False, label=gettext_lazy("流程"))
    county = OfficeField(OfficeKind.COUNTY_BUREAU, label=gettext_lazy("县(市、区)"))
    station = OfficeField(OfficeKind.STATION, label=gettext_lazy("社工站"))
    year = forms.IntegerField(required=False, min_value=calendar.YEARS[0], max_value=calendar.YEARS[-1],
                              label=gettext_lazy("年度"))
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES, label=gettext_lazy("期限"))

    def __init__(self, data, user):
        super().__init__(data)
        self.user = user
        self.fields["process"].choices = process_choices()

    def clean(self):
        # Only the counties and stations the user sees, searched as they type: never every office of the nation.
        super().clean()
        return clean_offices(self, self.user)


def tab_queryset(user, tab):
    """The open tasks of `user`'s offices that a tab lists, of the instances the user may see."""
    # The tab's tasks are of the user's working offices: seen whatever their instance, as tasks of their office.
    return tasks_visible_to(user, api.inbox(user, tab), open_only=True, of_offices=api.working_offices(user)[0])


def apply_filter(tasks, data):
    if data.get("q"):
        tasks = tasks.filter(Q(name__icontains=data["q"]) | Q(instance__business_key__icontains=data["q"]))
    if data.get("process"):
        tasks = tasks.filter(instance__version__definition__key=data["process"])
    for key in ("county", "station"):
        if data.get(key):
            tasks = tasks.filter(naming(key, data[key], field="instance"))
    if data.get("year") is not None:
        tasks = tasks.filter(instance__data__year=data["year"])
    now = clock.now()
    due = data.get("due")
    if due == deadlines.LATE:
        tasks = tasks.overdue(now)
    elif due == deadlines.SOON:
        tasks = tasks.due_soon(api.due_soon_limit(now), now)
    elif due == deadlines.ON_TIME:
        tasks = tasks.filter(due_at__gt=api.due_soon_limit(now))
    elif due == "none":
        tasks = tasks.filter(due_at__isnull=True)
    return tasks


def _with_instances(tasks):
    """The tasks with their instances, of which a row reads the county and station out of the data through the
    database: a procurement's data holds hundreds of KB that each of its tasks' rows would fetch again."""
    return tasks.select_related("instance__version__definition").defer(
        "instance__serialized", "instance__data", "instance__completed_elements",
        "instance__version__spec_json").annotate(row_county=KeyTextTransform("county", "instance__data"),
                                                  row_station=KeyTextTransform("station", "instance__data"))


def task_rows(tasks):
    """Rows for the inbox table: the task with its offices' names and due state."""
    return _annotated(list(_with_instances(tasks)))


def named(tasks, now):
    """The tasks (a list, each with row_county and row_station read from its instance's data) with the names of
    their office, county and station and how their due date stands: what every table of tasks shows."""
    codes = set()
    for task in tasks:
        codes.update((task.office, task.row_county, task.row_station))
    names = office_names(codes)
    today = clock.today_in_china()
    for task in tasks:
        task.office_name = names.get(task.office, task.office)
        task.county_name = area_name(names.get(task.row_county, task.row_county or ""))
        task.station_name = names.get(task.row_station, task.row_station or "")
        task.due_state = deadlines.due_state(task, now)
        task.workdays_left = deadlines.workdays_left(task.due_at, today) if task.due_at else None
    return tasks


def _annotated(tasks):
    """The tasks (a list) with what the inbox table shows of them."""
    named(tasks, clock.now())
    # Work sent back for revision: a county's plan (by instance), an organisation's report (by instance and due).
    instance_ids = {task.instance_id for task in tasks}
    plans, reports = AnnualPlan.returned_to(instance_ids), ServiceReport.returned_to(instance_ids)
    for task in tasks:
        task.due_explanation = "\n".join(deadlines.explanation(task))
        reviser, task.returned_because = reports.get((task.instance_id, task.due_at)) or plans.get(
            task.instance_id, (None, None))
        task.returned = task.office == reviser  # the reviser's task, not the reviewer's
    return tasks


def _filtered(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in dict(TABS) else "mine"
    form = InboxFilter(request.GET or None, request.user)
    data = form.cleaned_data if form.is_valid() else {}
    return tab, form, apply_filter(tab_queryset(request.user, tab), data)


@login_required
def inbox(request):
    tab, form, tasks = _filtered(request)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    tabs_query = query.copy()
    tabs_query.pop("tab", None)
    counts = [(key, label, tab_queryset(request.user, key).count()) for key, label in TABS]
    return render(request, "webui/inbox.html", {
        "tab": tab, "tabs": counts, "form": form, "page": page, "rows": task_rows(page.object_list),
        "query": query.urlencode(), "tabs_query": tabs_query.urlencode(), "username": request.user.get_username(),
        "standing_in": api.working_offices(request.user)[1], "mentions": mentioning(request.user),
    })


def task_workbook(filename, title, tasks):
    """The tasks as an Excel workbook, with the inbox table's columns (the inbox and the overdue export): named
    only, as the workbook shows neither a task's due explanation nor whether it was sent back."""
    now = clock.now()
    rows = ((t.name, t.instance.version.definition.name or t.instance.version.definition.key,
             t.instance.business_key, t.county_name, t.station_name, t.office_name, t.assignee,
             deadlines.shown(t.due_at) if t.due_at else "", t.workdays_left)
            for chunk in chunks(_with_instances(tasks)) for t in named(chunk, now))
    return workbook_response(filename, title, [
        _("任务"), _("流程"), _("业务编号"), _("县(市、区)"), _("社工站"), _("办理单位"), _("认领人"),
        _("截止时间"), _("剩余工作日")], rows)


@login_required
def export_inbox(request):
    _tab, _form, tasks = _filtered(request)
    return task_workbook("inbox.xlsx", _("待办"), tasks)


def _act(request, task_id, operation, done_message):
    visible_task(request.user, task_id)
    try:
        operation()
        messages.success(request, done_message)
    except EngineError as err:
        messages.error(request, _("操作未完成：%(error)s") % {"error": err})
    return back(request, "webui:inbox")


@login_required
@require_POST
def claim(request, task_id):
    return _act(request, task_id, lambda: api.claim(task_id, actor=request.user), _("已认领任务。"))


@login_required
@require_POST
def release(request, task_id):
    return _act(request, task_id, lambda: api.release(task_id, actor=request.user), _("已退回到本单位待认领。"))


@login_required
@require_POST
def reassign(request, task_id):
    to = request.POST.get("assignee", "").strip()
    return _act(request, task_id, lambda: api.reassign(task_id, to, actor=request.user),
                _("已转交给 %(name)s。") % {"name": to})
