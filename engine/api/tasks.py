"""Commands on human tasks: claim, release, reassign, delegate and resolve (a task row changes) and
complete (a step).

Each holds the lock of the task's instance. `actor` is a Django user (checked against the office
directory), a username string, or None for the system. A user standing in for someone (the directory's
stands_in_for) works on that person's tasks under their own name; the audit row says on whose behalf.
A delegated task is done by the delegate, who hands it back (resolve_task) with the form filled; the
delegator confirms it by completing it.
"""
import json
import uuid
from dataclasses import replace
from functools import partial

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from .. import audit, batch, clock, formchecks, formjs
from ..audit import actor_name
from ..directory import get_directory, working_offices
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..formoptions import options_for
from ..models import Attachment, HumanTask, TaskDraft
from ..models.instances import InstanceState
from ..models.tasks import Delegation, TaskState
from ..runtime import incidents, workflow_ops
from ..runtime.earliest import check_not_before
from ..runtime.loading import form_schema, load_workflow
from ..runtime.locking import locked_instance
from ..runtime.step import advance
from .inputs import check_data, user_of


def _task_row(instance, task_id, rows):
    """The task's row, taken from the step's known open rows (read with the lock on PostgreSQL).

    A row no longer open is read on its own, so a conflict can say who closed it and when.
    """
    row = rows.tasks.pop(uuid.UUID(str(task_id)), None)
    if row is None:
        row = HumanTask.objects.get(pk=task_id)
        row.instance = instance  # the locked one: no second query, and the audit sees the same object
    return row


def _check_open(row, instance):
    if row.state not in TaskState.ACTIVE:
        who = _("，办理人 %(user)s") % {"user": row.completed_by} if row.completed_by else ""
        when = _("，时间 %(when)s") % {"when": f"{row.completed_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M}"} \
            if row.completed_at else ""
        raise Conflict(_("任务“%(task)s”已不在办理中：%(state)s%(who)s%(when)s") % {
            "task": row.name, "state": TaskState.LABELS.get(row.state, row.state), "who": who, "when": when})
    if instance.state not in InstanceState.ACTIVE:
        raise Conflict(_("任务“%(task)s”不能办理：流程实例%(state)s") % {
            "task": row.name, "state": InstanceState.LABELS.get(instance.state, instance.state)})


def _check_member(user, row):
    """Refuse a user who may not work on the task's office; returns the usernames they stand in for."""
    if user is None:
        return []
    offices, standing_in = working_offices(user)
    if row.office not in offices:
        raise PermissionDenied(_("任务“%(task)s”属于单位 %(office)s，不属于您所在的单位") % {
            "task": row.name, "office": row.office or _("（无）")})
    return standing_in


def _on_behalf(row, standing_in):
    """Audit data naming the absent person whose claimed task a substitute acts on, or {}."""
    return {"on_behalf_of": row.assignee} if row.assignee and row.assignee in standing_in else {}


def _check_not_delegated(row, name):
    if row.delegation == Delegation.PENDING:
        if row.assignee == name:
            raise Conflict(_("任务“%(task)s”是 %(user)s 委派给您的：请填写后交回委派人确认") % {
                "task": row.name, "user": row.delegated_by})
        raise Conflict(_("任务“%(task)s”已委派给 %(user)s，待其办理后交回") % {"task": row.name, "user": row.assignee})


def claim(task_id, actor=None):
    """Take an open task of one's office; returns its row."""
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        standing_in = _check_member(user_of(actor), row)
        name = audit.current_actor()
        if row.state == TaskState.CLAIMED:
            if row.assignee == name or row.assignee in standing_in:
                return row
            raise Conflict(_("任务“%(task)s”已被 %(user)s 认领") % {"task": row.name, "user": row.assignee})
        row.claim(name)
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def release(task_id, actor=None):
    """Give a claimed task back to its office (its assignee or the office's supervisor); returns its row."""
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        user = user_of(actor)
        if row.state != TaskState.CLAIMED:
            raise Conflict(_("任务“%(task)s”尚未被认领") % {"task": row.name})
        _check_not_delegated(row, "")
        if user is not None and row.assignee != user.get_username() and not get_directory().is_supervisor(
                user, row.office) and row.assignee not in working_offices(user)[1]:
            raise PermissionDenied(_("任务“%(task)s”由 %(user)s 认领，只有本人或本单位负责人可以释放") % {
                "task": row.name, "user": row.assignee})
        row.release()
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def reassign(task_id, to_username, actor=None):
    """Hand a task to another person of its office (the office's supervisor); returns its row."""
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        user = user_of(actor)
        if user is not None and not get_directory().is_supervisor(user, row.office):
            raise PermissionDenied(_("只有本单位负责人可以转交任务"))
        target = get_user_model().objects.filter(username=to_username).first()
        if target is None:
            raise NotFound(_("没有用户 %(user)s") % {"user": to_username})
        if row.office and row.office not in get_directory().offices_of(target):
            raise InvalidInput({"assignee": _("%(user)s 不是单位 %(office)s 的人员") % {
                "user": to_username, "office": row.office}})
        row.reassign(to_username, audit={"from": row.assignee, "to": to_username})
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def delegate(task_id, to_username, actor=None, note=""):
    """Hand one's task (claimed by the actor, or open for their office) to a colleague who may work on it, to
    be handed back for the actor to confirm; returns its row."""
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        standing_in = _check_member(user_of(actor), row)
        name = audit.current_actor()
        _check_not_delegated(row, name)
        if row.state == TaskState.CLAIMED and row.assignee != name and row.assignee not in standing_in:
            raise Conflict(_("任务“%(task)s”已被 %(user)s 认领") % {"task": row.name, "user": row.assignee})
        target = get_user_model().objects.filter(username=to_username).first()
        if target is None:
            raise NotFound(_("没有用户 %(user)s") % {"user": to_username})
        if target.get_username() == name:
            raise InvalidInput({"delegate": _("不能委派给自己")})
        if row.office not in working_offices(target)[0]:
            raise InvalidInput({"delegate": _("%(user)s 不能办理单位 %(office)s 的任务") % {
                "user": to_username, "office": row.office}})
        row.delegate(name, to_username, audit={"to": to_username, "note": str(note or "")[:2000],
                                               **_on_behalf(row, standing_in)})
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def resolve_task(task_id, data=None, actor=None, note=""):
    """The delegate hands a delegated task back with its form filled: what they submitted, checked as
    completing would check it, becomes the delegator's draft, and the delegator confirms it by completing
    the task. Returns its row."""
    data = check_data(data)
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        _check_member(user_of(actor), row)
        name = audit.current_actor()
        if row.delegation != Delegation.PENDING or row.assignee != name:
            raise Conflict(_("任务“%(task)s”没有委派给您，无需交回") % {"task": row.name})
        if row.form_id:
            task = workflow_ops.find_task(load_workflow(instance), row)
            data = _validated(instance, row, data, context=workflow_ops.task_data(task))
        TaskDraft.objects.update_or_create(task=row, user=row.delegated_by,
                                           defaults={"data": data, "saved_at": clock.now()})
        row.resolve(audit={"data": data, "note": str(note or "")[:2000], "to": row.delegated_by})
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def complete_task(task_id, data=None, actor=None):
    """Complete a human task with the submitted form data, then run the instance on.

    The form is validated on the server with the task's data as its context, its messages in the
    active language. Returns the StepResult, whose `task` is the completed row.
    """
    data = check_data(data)
    return incidents.run_step(lambda: _complete_task(task_id, data, actor), task_id=task_id)


def _complete_task(task_id, data, actor):
    with locked_instance(task_id=task_id) as (instance, rows), audit.acting_as(actor):
        # One query (or none, the lock read them) for all open rows: the step's mirror needs them too.
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        user = user_of(actor)
        standing_in = _check_member(user, row)
        name = audit.current_actor()
        _check_not_delegated(row, name)
        if row.state == TaskState.CLAIMED and row.assignee != name and row.assignee not in standing_in \
                and user is not None:
            raise Conflict(_("任务“%(task)s”已被 %(user)s 认领") % {"task": row.name, "user": row.assignee})
        workflow = load_workflow(instance)
        task = workflow_ops.find_task(workflow, row)
        if row.form_id:
            data = _validated(instance, row, data, context=workflow_ops.task_data(task))
        task = workflow_ops.ready_task(workflow, row)
        check_not_before(workflow, task)
        row.complete(name, audit={"data": data, **_on_behalf(row, standing_in)})
        rows.closed_task(row)
        error = workflow_ops.run_user_task(task, data)
        if error is not None:
            instance.fail(error, row.bpmn_id)
        return replace(advance(instance, workflow, rows), task=row)


# A draft is what one form holds: far below this, unless something other than typing sent it.
MAX_DRAFT_BYTES = 2 ** 20


def save_draft(task_id, data, actor):
    """Keep what `actor` typed into an open task's form and has not submitted: one draft per person and task,
    replaced by the next. Only who may work on the task keeps one; nothing of the workflow changes."""
    data = check_data(data)
    if len(json.dumps(data, cls=DjangoJSONEncoder)) > MAX_DRAFT_BYTES:
        raise InvalidInput({"draft": _("草稿过大，未保存")})
    row = _open_row(task_id, actor)
    draft, _created = TaskDraft.objects.update_or_create(
        task=row, user=actor_name(actor), defaults={"data": data, "saved_at": clock.now()})
    return draft


def task_draft(task_id, actor):
    """The draft `actor` keeps of an open task's form, or None."""
    return TaskDraft.objects.filter(task_id=task_id, user=actor_name(actor),
                                    task__state__in=TaskState.ACTIVE).first()


def discard_drafts(task_id):
    """Forget every draft of a task (once it is completed, they are of no use)."""
    TaskDraft.objects.filter(task_id=task_id).delete()


def _open_row(task_id, actor):
    row = HumanTask.objects.select_related("instance").filter(pk=task_id).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    _check_open(row, row.instance)
    _check_member(user_of(actor), row)
    return row


def _validated(instance, row, data, context):
    """The submission as the task's form keeps it; InvalidInput with every field's message otherwise."""
    schema = form_schema(instance.version, row.form_id)
    data, errors = formjs.validate_submission(schema, data, context={**context, **options_for(schema)},
                                              attachments=partial(Attachment.uploaded_for, instance, row.id))
    errors = errors or formchecks.errors_for(row.form_id, data)
    if errors:
        raise InvalidInput(errors, _("任务“%(task)s”的表单有错误") % {"task": row.name})
    return data
