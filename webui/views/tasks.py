"""One task: its form rendered by form-js, instructions, attachments, history; submitting completes it."""
import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine import api
from engine.extensions import get_directory
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, PermissionDenied, StepFailed
from engine.models import Attachment, HumanTask
from engine.models import Delegation, TaskState
from workflows.visibility import can_work_on

from .. import deadlines
from ..offices import area_name, office_names
from .access import visible_task
from .inbox import tab_queryset
from .instances import latest_events
from .json_views import BadRequest, json_answers, json_body, request_body
from .navigation import back

HISTORY_EVENTS = 100  # the task page's history of its instance: the latest events
TOKEN_ACCOUNT_PREFIX = "token:"  # restapi/tokens.py names a token's service account so

def colleagues(task, but=""):
    """People of the task's office, to hand the task to: anyone but who has it now (and `but`); not the
    accounts other systems act through with an API token."""
    users = get_user_model().objects.filter(memberships__office__code=task.office).exclude(
        username__startswith=TOKEN_ACCOUNT_PREFIX)
    return users.exclude(username__in=[task.assignee or "", but]).order_by("username")


def may_work(user, task):
    """Whether `user` fills the task's form now: open for their office, theirs, or claimed by someone they
    stand in for; a task delegated away waits for the delegate."""
    if not can_work_on(user, task):
        return False
    name = user.get_username()
    if task.delegation == Delegation.PENDING and task.delegated_by == name:
        return False
    return task.state == TaskState.OPEN or task.assignee in (name, *api.working_offices(user)[1])


def _answer(request, task, act, done):
    """Run `act` (completing or handing back) on a submitted form, answering the page's script in JSON."""
    try:
        data = json.loads(request_body(request) or b"{}")
    except BadRequest as err:
        return JsonResponse({"error": str(err)}, status=err.status)
    except (ValueError, RecursionError):  # JSON nested past the parser's recursion
        return JsonResponse({"error": _("提交的内容不是有效的 JSON。")}, status=400)
    try:
        act(data)
    except InvalidInput as err:
        return JsonResponse({"error": _("表单有错误，请修改后再提交。"), "errors": err.errors}, status=400)
    except PermissionDenied:
        return JsonResponse({"error": _("这项任务不属于您所在的单位。")}, status=403)
    except (Conflict, NotFound, StepFailed) as err:
        return JsonResponse({"error": _("任务无法办结：%(error)s") % {"error": err}}, status=409)
    messages.success(request, done)
    return JsonResponse({"next": next_task_url(request.user, task)})


@login_required
def task_page(request, task_id):
    task = visible_task(request.user, task_id, workflow=True)  # its form reads the open task's workflow
    instance = task.instance
    names = office_names({task.office, instance.data.get("county"), instance.data.get("station")})
    tasks = {t.id: t.name for t in HumanTask.objects.filter(instance=instance)}
    supervisor = task.state in TaskState.ACTIVE and get_directory().is_supervisor(request.user, task.office)
    form = api.task_form(task)
    can_work = may_work(request.user, task)
    username = request.user.get_username()
    standing_in = api.working_offices(request.user)[1]
    draft = api.task_draft(task.pk, request.user) if can_work and form.schema else None
    events, events_total = latest_events(instance, HISTORY_EVENTS)
    return render(request, "webui/task.html", {
        "task": task, "instance": instance,
        "office_name": names.get(task.office, task.office),
        "county_name": area_name(names.get(instance.data.get("county"), "")),
        "station_name": names.get(instance.data.get("station"), ""),
        "due_state": deadlines.due_state(task),
        "workdays_left": deadlines.workdays_left(task.due_at) if task.due_at else None,
        "due_explanation": deadlines.explanation(task),
        "schema": form.schema,
        "data": {**form.data, **draft.data} if draft else form.data,
        "draft": draft,
        "can_work": can_work,
        "can_claim": task.state == TaskState.OPEN and can_work_on(request.user, task),
        "can_release": task.state == TaskState.CLAIMED and task.delegation != Delegation.PENDING and (
            task.assignee == username or supervisor),
        "colleagues": colleagues(task) if supervisor else None,
        "delegates": colleagues(task, but=username) if can_work and task.delegation != Delegation.PENDING
        and task.assignee in (username, *standing_in, "") else None,
        "resolving": task.delegation == Delegation.PENDING and task.assignee == username,
        "on_behalf_of": task.assignee if task.assignee in standing_in else "",
        "comments": api.comments_on(instance, task),
        "attachments": Attachment.objects.filter(instance=instance),
        "events": events, "events_total": events_total,
        "task_names": tasks,
        "username": request.user.get_username(),
    })


@login_required
@require_POST
@json_answers
def save_draft(request, task_id):
    """Keep what the user has typed into the task's form, so leaving or reloading the page loses nothing."""
    task = visible_task(request.user, task_id)
    draft = api.save_draft(task.pk, json_body(request), actor=request.user)
    return JsonResponse({"saved_at": draft.saved_at.isoformat()})


def next_task_url(user, done):
    """Where to go after completing a task: the same person's next task, in the same instance first."""
    open_tasks = tab_queryset(user, "mine").exclude(pk=done.pk)
    following = open_tasks.filter(instance=done.instance).first() or open_tasks.first()
    return reverse("webui:task", args=[following.pk]) if following else reverse("webui:inbox")


@login_required
@require_POST
def submit(request, task_id):
    task = visible_task(request.user, task_id)

    def complete(data):
        api.complete_task(task.pk, data, actor=request.user)
        api.discard_drafts(task.pk)

    return _answer(request, task, complete, _("“%(name)s”已办结。") % {"name": task.name})


@login_required
@require_POST
def resolve(request, task_id):
    """The delegate hands the task back to the delegator with its form filled."""
    task = visible_task(request.user, task_id)
    return _answer(request, task, lambda data: api.resolve_task(task.pk, data, actor=request.user),
                   _("“%(name)s”已交回 %(user)s 确认。") % {"name": task.name, "user": task.delegated_by})


@login_required
@require_POST
def delegate(request, task_id):
    visible_task(request.user, task_id)
    to = request.POST.get("delegate", "").strip()
    try:
        api.delegate(task_id, to, actor=request.user, note=request.POST.get("note", ""))
        messages.success(request, _("已委派给 %(name)s，办理后将交回您确认。") % {"name": to})
    except EngineError as err:
        messages.error(request, _("操作未完成：%(error)s") % {"error": err})
    return back(request, "webui:task", task_id)
