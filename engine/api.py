"""The engine's operations. Each is one transaction holding the instance's lock (runtime/locking.py).

`actor` is a Django user (permissions are checked against the office directory),
a username string, or None for the system (command line, timers).
"""
import uuid
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_fsm import can_proceed
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState as SpiffState

from . import audit, clock, formchecks, formjs
from . import batch
from .directory import get_directory
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .models import (
    Attachment,
    HumanTask,
    Message,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Timer,
)
from .models.instances import InstanceState
from .models.tasks import TaskState
from .runtime import messaging, mirror
from .runtime.earliest import check_not_before
from .runtime.loading import StaleVersion, current_version, expect_current, form_schema, load_workflow, new_workflow
from .runtime.locking import locked_instance
from .runtime.step import advance

RESERVED_KEYS = {"typename"}


def _check_data(data, what="data"):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput({what: f"must be a JSON object, not {type(data).__name__}"})
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k in RESERVED_KEYS or k.startswith("_")]
    if bad:
        raise InvalidInput({k: "not a usable variable name (letters, digits and _, not starting with _)" for k in bad})
    return data


def _user(actor):
    return actor if isinstance(actor, get_user_model()) else None


# Instances

def start(key, business_key="", data=None, actor=None, version=None, parent=None):
    """Start an instance of the definition's current version (or of `version`, a DefinitionVersion).

    Returns the instance; its `open_tasks` are the human task rows the start left open.

    `parent`: the instance whose step starts this one (a service task's handler); the new
    instance's rows are then written with that step's rows, so both commit or neither does.
    """
    data = _check_data(data)
    if parent is not None:
        # The parent's step commits later, so a stale remembered version could not be retried here.
        return _start(version or _current_version(key, fresh=True), business_key, data, actor, parent=parent)
    if version is not None:
        return _start(version, business_key, data, actor)
    try:
        return _start(_current_version(key), business_key, data, actor, confirm_current=key)
    except StaleVersion:  # a deployment since this process last looked
        return _start(_current_version(key, fresh=True), business_key, data, actor)


def _start(version, business_key, data, actor, confirm_current=None, parent=None):
    with batch.step_transaction(), audit.acting_as(actor):
        if confirm_current:
            expect_current(confirm_current, version)
        now = clock.now()
        # Inserted by advance() once its state is known; rows referring to it are written
        # in the same transaction, and foreign keys are checked at commit.
        instance = ProcessInstance(
            version=version, business_key=business_key or "", parent=parent, started_by=audit.current_actor(),
            started_at=now, updated_at=now)
        workflow = new_workflow(instance)
        for task in workflow.get_tasks(state=SpiffState.READY):
            task.set_data(**data)
        audit.record("instance.started", instance=instance, to_state=instance.state,
                     data={"key": version.definition.key, "version": version.number,
                           "business_key": instance.business_key})
        advance(instance, workflow, new=True)
    return instance


def _current_version(key, fresh=False):
    version = current_version(key, fresh)
    if version is None:
        if ProcessDefinition.objects.filter(key=key).exists():
            raise NotFound(f"process definition '{key}' has no deployed version")
        raise NotFound(f"no process definition '{key}'")
    return version


def suspend(instance_id, actor=None, reason=""):
    with locked_instance(instance_id) as instance, audit.acting_as(actor):
        _transition(instance, "suspend", reason)
        instance.save()
    return instance


def resume(instance_id, actor=None, reason=""):
    with locked_instance(instance_id) as instance, audit.acting_as(actor):
        _transition(instance, "resume", reason)
        advance(instance, load_workflow(instance))
    return instance


def retry(instance_id, actor=None, reason=""):
    """Run a failed instance again from the element that failed."""
    with locked_instance(instance_id) as instance, audit.acting_as(actor):
        _transition(instance, "retry", reason)
        workflow = load_workflow(instance)
        for task in workflow.get_tasks(state=SpiffState.ERROR):
            workflow.reset_from_task_id(task.id)
        advance(instance, workflow)
    return instance


def cancel(instance_id, actor=None, reason=""):
    with locked_instance(instance_id) as instance, audit.acting_as(actor):
        _transition(instance, "cancel", reason)
        workflow = load_workflow(instance)
        workflow.cancel()
        rows = mirror.KnownRows(instance)
        for row in rows.tasks.values():
            row.cancel()
            batch.update(row, HumanTask.TRANSITION_FIELDS)
        Timer.objects.filter(instance=instance).delete()
        MessageSubscription.objects.filter(instance=instance).delete()
        instance.has_timer_rows = instance.has_subscription_rows = False
        advance(instance, workflow, rows)
    return instance


# What each control of an instance is called (in messages and on the buttons of its page).
CONTROL_LABELS = {"suspend": _lazy("挂起"), "resume": _lazy("恢复"), "cancel": _lazy("取消"), "retry": _lazy("重试")}


def _transition(instance, name, reason):
    method = getattr(instance, name)
    if not can_proceed(method):
        raise Conflict(_("流程实例%(state)s，不能%(action)s") % {
            "state": InstanceState.LABELS.get(instance.state, instance.state),
            "action": CONTROL_LABELS.get(name, name)})
    instance._audit_data = {"reason": reason} if reason else None
    method()


def advance_instance(instance_id):
    """Fire what is due (timers) and deliver what waits; idempotent, so safe to run twice."""
    with locked_instance(instance_id) as instance:
        if instance.state in InstanceState.ACTIVE:
            advance(instance, load_workflow(instance))
        Timer.objects.filter(instance=instance, state=Timer.CLAIMED).update(state=Timer.WAITING, claimed_at=None)
    return instance


# Tasks

def _task_row(instance, task_id, rows=None):
    """The task's row, taken from the step's known open rows (read with the lock on PostgreSQL).

    A row no longer open is read on its own, so a conflict can say who closed it and when.
    """
    row = (rows or mirror.KnownRows(instance)).tasks.pop(uuid.UUID(str(task_id)), None)
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
    if user is not None and row.office not in get_directory().offices_of(user):
        raise PermissionDenied(_("任务“%(task)s”属于单位 %(office)s，不属于您所在的单位") % {
            "task": row.name, "office": row.office or _("（无）")})


def claim(task_id, actor=None):
    with locked_instance(task_id=task_id) as instance, audit.acting_as(actor):
        row = _task_row(instance, task_id)
        _check_open(row, instance)
        _check_member(_user(actor), row)
        name = audit.current_actor()
        if row.state == TaskState.CLAIMED:
            if row.assignee == name:
                return row
            raise Conflict(_("任务“%(task)s”已被 %(user)s 认领") % {"task": row.name, "user": row.assignee})
        row.claim(name)
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def release(task_id, actor=None):
    with locked_instance(task_id=task_id) as instance, audit.acting_as(actor):
        row = _task_row(instance, task_id)
        _check_open(row, instance)
        user = _user(actor)
        if row.state != TaskState.CLAIMED:
            raise Conflict(_("任务“%(task)s”尚未被认领") % {"task": row.name})
        if user is not None and row.assignee != user.get_username() and not get_directory().is_supervisor(
                user, row.office):
            raise PermissionDenied(_("任务“%(task)s”由 %(user)s 认领，只有本人或本单位负责人可以释放") % {
                "task": row.name, "user": row.assignee})
        row.release()
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def reassign(task_id, to_username, actor=None):
    User = get_user_model()
    with locked_instance(task_id=task_id) as instance, audit.acting_as(actor):
        row = _task_row(instance, task_id)
        _check_open(row, instance)
        user = _user(actor)
        if user is not None and not get_directory().is_supervisor(user, row.office):
            raise PermissionDenied(_("只有本单位负责人可以转交任务"))
        target = User.objects.filter(username=to_username).first()
        if target is None:
            raise NotFound(_("没有用户 %(user)s") % {"user": to_username})
        if row.office and row.office not in get_directory().offices_of(target):
            raise InvalidInput({"assignee": _("%(user)s 不是单位 %(office)s 的人员") % {
                "user": to_username, "office": row.office}})
        row._audit_data = {"from": row.assignee, "to": to_username}
        row.reassign(to_username)
        batch.update(row, HumanTask.TRANSITION_FIELDS)
    return row


def complete_task(task_id, data=None, actor=None):
    """Complete a human task with the submitted form data; returns the task row.

    The row's `instance.open_tasks` are the instance's open human task rows after the step.
    """
    data = _check_data(data)
    with locked_instance(task_id=task_id) as instance, audit.acting_as(actor):
        # One query for all open rows of the instance: the step's mirror needs them too.
        rows = mirror.KnownRows(instance)
        row = _task_row(instance, task_id, rows)
        _check_open(row, instance)
        user = _user(actor)
        _check_member(user, row)
        name = audit.current_actor()
        if row.state == TaskState.CLAIMED and row.assignee != name and user is not None:
            raise Conflict(_("任务“%(task)s”已被 %(user)s 认领") % {"task": row.name, "user": row.assignee})
        if row.form_id:
            schema = form_schema(instance.version, row.form_id)
            data, errors = formjs.validate_submission(
                schema, data, attachments=partial(Attachment.uploaded_for, instance, row.id))
            errors = errors or formchecks.errors_for(row.form_id, data)
            if errors:
                raise InvalidInput(errors, _("任务“%(task)s”的表单有错误") % {"task": row.name})
        workflow = load_workflow(instance)
        task = workflow.get_task_from_id(row.id)
        if task is None or task.state != SpiffState.READY:
            raise Conflict(_("任务“%(task)s”在流程中已不能办理") % {"task": row.name})
        check_not_before(workflow, task)
        task.set_data(**data)
        row._audit_data = {"data": data}
        row.complete(name)
        batch.update(row, HumanTask.TRANSITION_FIELDS)
        try:
            task.run()
        except WorkflowException as err:
            instance.fail(str(err), row.bpmn_id)
        advance(instance, workflow, rows)
    return row


# Messages

def send_message(name, correlation=None, payload=None, actor=None):
    """Send a message to whichever instance waits (or will wait) for it with this correlation."""
    if not name:
        raise InvalidInput({"name": "a message needs a name"})
    correlation = correlation or {}
    if not isinstance(correlation, dict):
        raise InvalidInput({"correlation": "must be a JSON object"})
    # The correlation travels in the payload too: diagrams read correlation properties from it.
    payload = {**correlation, **_check_data(payload, "payload")}
    with batch.step_transaction(), audit.acting_as(actor):
        message = Message.objects.create(name=name, correlation=correlation, payload=payload,
                                         sender=audit.current_actor(), sent_at=clock.now())
        audit.record("message.sent", data={"message": str(message.id), "name": name, "correlation": correlation})
        transaction.on_commit(lambda: messaging._enqueue_delivery([message.id]))
    return message


def deliver_message(message_id):
    """Deliver a pending message to a matching waiting instance, if one waits. True when delivered."""
    for _attempt in range(3):
        message = Message.objects.filter(pk=message_id, state=Message.PENDING).first()
        if message is None:
            return False
        subscription = messaging.matching_subscription(message)
        if subscription is None:
            return False
        with locked_instance(subscription.instance_id) as instance:
            if instance.state not in InstanceState.ACTIVE:
                return False
            message = Message.objects.select_for_update().filter(pk=message_id, state=Message.PENDING).first()
            current = MessageSubscription.objects.filter(pk=subscription.pk).first()
            if message is None:
                return False
            if current is None:
                continue  # the instance moved on meanwhile; look again
            workflow = load_workflow(instance)
            rows = mirror.KnownRows(instance)
            messaging.deliver_into(instance, workflow, rows, current, message)
            advance(instance, workflow, rows)
            return True
    return False
