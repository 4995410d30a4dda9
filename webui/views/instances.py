"""The managers' view of instances: a filtered list, one instance with its diagram and history, and control."""
import json
from functools import cache

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.fields.json import KT, KeyTransform
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from engine import api
from engine.api import CONTROL_LABELS, calendar, clock
from engine.errors import EngineError
from engine.models import AuditEvent, DefinitionVersion, HumanTask, InstanceState, MessageSubscription, Timer
from engine.models import is_overdue
from workflows.models import OfficeKind
from workflows.visibility import instances_visible_to, naming, offices_in_view, within

from .. import deadlines
from ..excel import chunks, workbook_response
from ..offices import OfficeField, area_name, clean_offices, office_choices, office_names
from ..page_forms import PageForm, process_choices
from ..people import learn_names
from ..permissions import can_control_instances, require
from .access import listed_instances, visible_instance
from .challenges import procurement_challenges
from .complaints import procurement_complaints
from .emergencies import report_link

PAGE_SIZE = 50

STATE_LABELS = InstanceState.LABELS
# Each control is the instance's transition of the same name (the page offers those its state allows).
# Data the lifecycle keeps beside its forms' fields: offices by their code, the year.
OFFICE_KEYS = {"county": gettext_lazy("县(市、区)"), "prefecture": gettext_lazy("市(州)"),
               "station": gettext_lazy("社工站"), "stations": gettext_lazy("社工站"),
               "social_org": gettext_lazy("承接社会组织"), "evaluator": gettext_lazy("评估机构")}


def data_offices(instance):
    """{key: [office code]} of the offices the instance's data names under the lifecycle's keys."""
    return {key: [code for code in (value if isinstance(value, list) else [value]) if isinstance(code, str)]
            for key, value in instance.data.items() if key in OFFICE_KEYS}


def data_labels(instance, codes, names):
    """How the instance page names its data: the forms' labels, and offices by name rather than code (`codes`:
    data_offices, `names`: their office_names)."""
    labels = api.form_labels(instance.version)
    # The lifecycle's own keys mean the same in every process, whatever a form calls them.
    labels["fields"] = {**labels["fields"], **{key: str(label) for key, label in OFFICE_KEYS.items()},
                        "year": _("年度")}
    labels["values"] = {key: {code: names[code] for code in values if code in names} for key, values in codes.items()}
    return labels


CONTROLS = {"suspend": api.suspend, "resume": api.resume, "cancel": api.cancel, "retry": api.retry}


class InstanceFilter(PageForm):
    q = forms.CharField(required=False, label=gettext_lazy("业务编号"))
    process = forms.ChoiceField(required=False, label=gettext_lazy("流程"))
    version = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("版本"))
    year = forms.IntegerField(required=False, min_value=calendar.YEARS[0], max_value=calendar.YEARS[-1],
                              label=gettext_lazy("年度"))
    prefecture = forms.ChoiceField(required=False, label=gettext_lazy("市(州)"))
    county = OfficeField(OfficeKind.COUNTY_BUREAU, label=gettext_lazy("县(市、区)"))
    state = forms.ChoiceField(required=False, label=gettext_lazy("状态"))
    step = forms.CharField(required=False, label=gettext_lazy("当前环节"))
    overdue = forms.BooleanField(required=False, label=gettext_lazy("仅逾期"))

    def __init__(self, data, user):
        super().__init__(data)
        everything = [("", _("全部"))]
        self.fields["process"].choices = process_choices()
        # Read once, when the form is shown or a value checked, as the process choices are.
        self.fields["prefecture"].choices = cache(lambda: everything + office_choices(
            offices_in_view(user, OfficeKind.PREFECTURE_BUREAU)))
        self.fields["state"].choices = everything + [(k, str(v)) for k, v in STATE_LABELS.items()]
        self.user = user

    def clean(self):
        super().clean()
        return clean_offices(self, self.user)


def catches_named(step):
    """The BPMN ids of the message and signal catches instances wait at that are `step` or are called it: a
    subscription row names the message it waits for, not its element, so the name is looked up in the versions
    of the instances that wait at one."""
    versions = DefinitionVersion.objects.filter(pk__in=MessageSubscription.objects.values("instance__version"))
    return {step} | {bpmn_id for version in versions.defer("spec_json")
                     for bpmn_id, name in api.element_names(version).items() if name == step}


def filter_instances(instances, data):
    if data.get("q"):
        instances = instances.filter(business_key__icontains=data["q"])
    if data.get("process"):
        instances = instances.filter(version__definition__key=data["process"])
    if data.get("version"):
        instances = instances.filter(version__number=data["version"])
    if data.get("year") is not None:
        instances = instances.filter(data__year=data["year"])
    if data.get("prefecture"):
        instances = instances.filter(within([data["prefecture"]]))
    if data.get("county"):
        instances = instances.filter(naming("county", data["county"]))
    if data.get("step"):
        # A step is an element the instance waits at: an open task, a timer or a message catch, by id or name.
        step = data["step"]
        waits_at = (Q(bpmn_id=step) | Q(name=step))
        instances = instances.filter(
            Exists(HumanTask.objects.open().filter(waits_at, instance=OuterRef("pk")))
            | Exists(Timer.objects.filter(waits_at, instance=OuterRef("pk")))
            | Exists(MessageSubscription.objects.filter(bpmn_id__in=catches_named(step), instance=OuterRef("pk")))
            | Q(error_element=step))
    if data.get("overdue"):
        instances = instances.filter(Exists(HumanTask.objects.overdue().filter(instance=OuterRef("pk"))))
    return instances


def _filtered(request):
    """The form, the visible instances its filters pick in any state, and those in the state it picks."""
    form = InstanceFilter(request.GET or None, request.user)
    data = form.cleaned_data if form.is_valid() else {}
    any_state = filter_instances(instances_visible_to(request.user, listed_instances(), latest_first=True), data)
    return form, any_state, (any_state.filter(state=data["state"]) if data.get("state") else any_state)


def row_fields(instances):
    """`instances` with only what a row shows: the year, county and station read out of the data by the
    database, not the whole data decoded for every row."""
    return instances.defer("data", "completed_elements").annotate(
        row_year=KeyTransform("year", "data"), row_county=KT("data__county"), row_station=KT("data__station"))


def instance_rows(instances):
    """Rows of instances read through row_fields."""
    instances = list(instances)
    codes = set()
    for instance in instances:
        codes.update((instance.row_county, instance.row_station))
    names = office_names(codes)
    now = clock.now()
    late, steps = set(), {}
    for instance_id, name, state, due_at in HumanTask.objects.open().filter(instance__in=instances).values_list(
            "instance_id", "name", "state", "due_at"):
        steps.setdefault(instance_id, []).append(name)
        if is_overdue(state, due_at, now):
            late.add(instance_id)
    for instance in instances:
        county, station = instance.row_county, instance.row_station
        instance.county_name = area_name(names.get(county, county or ""))
        instance.station_name = names.get(station, station or "")
        instance.state_label = STATE_LABELS.get(instance.state, instance.state)
        # Without an open task: at a timer, a message catch or a failed element, named from the diagram.
        instance.steps = "、".join(steps.get(instance.pk) or [
            api.element_names(instance.version).get(element, element) for element in instance.current_elements])
        instance.is_late = instance.pk in late
    return instances


@login_required
def instance_list(request):
    form, any_state, instances = _filtered(request)
    # Counts by state over the other filters, so the state filter shows what it picks from, and of the late
    # instances: one pass over the visible instances.
    counted = list(any_state.values_list("state").annotate(
        n=Count("pk"), late=Count("pk", filter=Exists(HumanTask.objects.overdue().filter(instance=OuterRef("pk")))))
        .values_list("state", "n", "late").order_by())
    by_state = {state: n for state, n, _late in counted}
    paginator = Paginator(row_fields(instances), PAGE_SIZE)
    # Known from the counts by state: not counted again, which costs as much at national size.
    chosen = form.cleaned_data.get("state") if form.is_bound and form.is_valid() else None
    paginator.count = by_state.get(chosen, 0) if chosen else sum(by_state.values())
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "webui/instances.html", {
        "form": form, "page": page, "rows": instance_rows(page.object_list), "query": query.urlencode(),
        "counts": [(key, label, by_state.get(key, 0)) for key, label in STATE_LABELS.items()],
        "total": sum(by_state.values()), "late": sum(late for _state, _n, late in counted),
    })


@login_required
def export_instances(request):
    _form, _any_state, instances = _filtered(request)
    rows = ((i.business_key, i.version.definition.name or i.version.definition.key, i.version.number,
             i.row_year, i.county_name, i.station_name, str(i.state_label), i.steps, i.started_at,
             i.ended_at, _("是") if i.is_late else "") for chunk in chunks(row_fields(instances))
            for i in instance_rows(chunk))
    return workbook_response("instances.xlsx", _("流程实例"), [
        _("业务编号"), _("流程"), _("版本"), _("年度"), _("县(市、区)"), _("社工站"), _("状态"), _("当前环节"),
        _("开始时间"), _("结束时间"), _("逾期")], rows)


HISTORY_EVENTS = 200  # the instance page's history: its latest events


def latest_events(instance, limit):
    """The instance's latest `limit` audit events, newest first, and how many it has in all: counted only when
    there are more, so a page can say it shows the latest of them."""
    events = list(AuditEvent.objects.filter(instance=instance).order_by("-at", "-id")[:limit + 1])
    total = AuditEvent.objects.filter(instance=instance).count() if len(events) > limit else len(events)
    return events[:limit], total


RAW_INLINE_CHARS = 20_000  # raw data longer than this is opened from the API rather than sent with the page


def raw_data(data):
    """The instance's data as indented JSON for the page, or None when it is too long to send with it."""
    # Measured without indenting first: json indents in Python, ten times slower than its compact C encoder.
    if len(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)) > RAW_INLINE_CHARS:
        return None
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2, sort_keys=True)
    return text if len(text) <= RAW_INLINE_CHARS else None


@login_required
def instance_page(request, instance_id):
    instance = visible_instance(request.user, instance_id)
    tasks = list(HumanTask.objects.filter(instance=instance).order_by("created_at"))
    # Every office the page names, its tasks' and its data's, looked up at once.
    offices = data_offices(instance)
    names = office_names({t.office for t in tasks} | {code for codes in offices.values() for code in codes})
    now = clock.now()
    for task in tasks:
        task.office_name = names.get(task.office, task.office)
        task.due_state = deadlines.due_state(task, now)
    allowed = can_control_instances(request.user)
    # The parent and the children the user sees, read together.
    related = Q(parent=instance) | Q(pk=instance.parent_id) if instance.parent_id else Q(parent=instance)
    family = list(instances_visible_to(request.user, listed_instances().filter(related)).only(
        "business_key", "parent", "version__definition__key", "version__definition__name"))
    events, events_total = latest_events(instance, HISTORY_EVENTS)
    comments = list(api.comments_on(instance).select_related("task"))
    # The history names a few people many times: all looked up at once.
    learn_names([instance.started_by, *(t.completed_by or t.assignee for t in tasks), *(c.author for c in comments),
                 *(e.actor for e in events), *(e.data.get(key) for e in events for key in ("to", "on_behalf_of"))])
    return render(request, "webui/instance.html", {
        "instance": instance, "state_label": STATE_LABELS.get(instance.state, instance.state),
        "county_name": area_name(names.get(instance.data.get("county"), "")),
        "station_name": names.get(instance.data.get("station"), ""),
        "tasks": tasks, "task_names": {t.id: t.name for t in tasks}, "timers": Timer.objects.filter(instance=instance),
        "events": events, "events_total": events_total, "comments": comments,
        "data_labels": data_labels(instance, offices, names),
        "data_json": raw_data(instance.data),
        "marks": api.diagram_marks(instance, tasks, now),
        "parent": next((i for i in family if i.pk == instance.parent_id), None),
        "children": [i for i in family if i.parent_id == instance.pk],
        "controls": [(name, CONTROL_LABELS[name]) for name in CONTROLS
                     if allowed and can_proceed(getattr(instance, name))],
        "emergency_link": report_link(request.user, instance),
        "challenges": procurement_challenges(instance),
        "complaints": procurement_complaints(instance),
    })


def diagram_response(version):
    """The version's diagram as offices read it: lanes named by their office role (县(市、区)民政局)."""
    content = api.version_diagram(version)
    if content is None:
        raise Http404
    return HttpResponse(content, content_type="application/xml; charset=utf-8")


@login_required
def diagram(request, instance_id):
    return diagram_response(visible_instance(request.user, instance_id).version)


@login_required
@require_POST
def control(request, instance_id, action):
    instance = visible_instance(request.user, instance_id)
    if action not in CONTROLS:
        raise Http404
    require(can_control_instances(request.user))
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("请填写%(action)s的原因。") % {"action": CONTROL_LABELS[action]})
        return redirect("webui:instance", instance_id=instance.pk)
    try:
        CONTROLS[action](instance.pk, actor=request.user, reason=reason)
        messages.success(request, _("流程实例已%(action)s。") % {"action": CONTROL_LABELS[action]})
    except EngineError as err:
        messages.error(request, _("操作未完成：%(error)s") % {"error": err})
    return redirect("webui:instance", instance_id=instance.pk)
