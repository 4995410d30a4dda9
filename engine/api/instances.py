"""Commands on process instances: start, suspend, resume, retry, cancel, and the system's advance.

Each runs as one step: one transaction holding the instance's lock (runtime/locking.py), and
returns the step's StepResult. `actor` is a Django user, a username string, or None for the system.
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_fsm import can_proceed

from .. import audit, batch, clock
from ..directory import get_directory
from ..errors import Conflict, NotFound
from ..models import MessageSubscription, ProcessDefinition, ProcessInstance, Timer
from ..models.instances import InstanceState
from ..runtime import incidents, schedules, workflow_ops
from ..runtime.loading import StaleVersion, current_version, expect_current, load_workflow, new_workflow
from ..runtime.locking import locked_instance
from ..runtime.step import advance, step_result
from ..versions import tenant_label
from .inputs import check_data, check_text

# What each control of an instance is called (in messages and on the buttons of its page).
CONTROL_LABELS = {"suspend": _lazy("挂起"), "resume": _lazy("恢复"), "cancel": _lazy("取消"), "retry": _lazy("重试")}


def start(key, business_key="", data=None, actor=None, version=None, parent=None, tenant=None):
    """Start an instance of the definition's current version (or of `version`, a DefinitionVersion).

    Returns the StepResult; its `open_tasks` are the human task rows the start left open.

    The instance belongs to `tenant` when given (a signal's, whatever its payload names), else to its parent's
    tenant, else to the one the directory says its data belongs to; the current version is that tenant's
    (engine/versions.py). A `version` of another tenant is refused.

    `parent`: the instance this one belongs to (its page lists it). When a step of the parent starts it (a
    service task's handler), the new instance's rows are written with that step's rows, so both commit or
    neither does; started outside any step (a challenge filed against a procurement), it is a step of its own.
    """
    data = check_data(data)
    check_text(business_key or "", "business_key", ProcessInstance._meta.get_field("business_key").max_length)
    if tenant is None:
        tenant = parent.tenant if parent is not None else get_directory().tenant_for(data)
    if version is not None and version.tenant not in ("", tenant):
        raise Conflict(_("第 %(number)s 版是%(other)s自己的版本，不能为%(tenant)s启动实例") % {
            "number": version.number, "other": tenant_label(version.tenant),
            "tenant": tenant_label(tenant) or _("共用版本的实例")})
    if parent is not None and batch.running():
        # The parent's step commits later, so a stale remembered version could not be retried here.
        return _start(version or _current_version(key, tenant, fresh=True), tenant, business_key, data, actor,
                      parent=parent)
    if version is not None:
        return incidents.run_step(lambda: _start(version, tenant, business_key, data, actor, parent=parent))
    return incidents.run_step(lambda: _start_current(key, tenant, business_key, data, actor, parent))


def _start_current(key, tenant, business_key, data, actor, parent=None):
    try:
        return _start(_current_version(key, tenant), tenant, business_key, data, actor, confirm_current=key,
                      parent=parent)
    except StaleVersion:  # a deployment since this process last looked
        return _start(_current_version(key, tenant, fresh=True), tenant, business_key, data, actor, parent=parent)


def _start(version, tenant, business_key, data, actor, confirm_current=None, parent=None):
    with batch.step_transaction(), audit.acting_as(actor):
        if confirm_current:
            expect_current(confirm_current, tenant, version)
        now = clock.now()
        # Inserted by advance() once its state is known; rows referring to it are written
        # in the same transaction, and foreign keys are checked at commit.
        instance = ProcessInstance(
            version=version, tenant=tenant, business_key=business_key or "", parent=parent,
            started_by=audit.current_actor(), started_at=now, updated_at=now)
        workflow = new_workflow(instance)
        workflow_ops.set_start_data(workflow, data)
        workflow.starting = True  # a timer start event starts it now, by schedule or by hand
        schedules.hold_cycle_starts(workflow)
        audit.record("instance.started", instance=instance, to_state=instance.state,
                     data={"key": version.definition.key, "version": version.number,
                           "business_key": instance.business_key, **({"tenant": tenant} if tenant else {})})
        return advance(instance, workflow, new=True)


def _current_version(key, tenant, fresh=False):
    version = current_version(key, tenant, fresh)
    if version is None:
        if ProcessDefinition.objects.filter(key=key).exists():
            raise NotFound(f"process definition '{key}' has no deployed version")
        raise NotFound(f"no process definition '{key}'")
    return version


def suspend(instance_id, actor=None, reason=""):
    with locked_instance(instance_id) as (instance, rows), audit.acting_as(actor):
        _transition(instance, "suspend", reason)
        batch.update(instance, ["state"])
        return step_result(instance, rows)


def resume(instance_id, actor=None, reason=""):
    def step():
        with locked_instance(instance_id) as (instance, rows), audit.acting_as(actor):
            _transition(instance, "resume", reason)
            return advance(instance, load_workflow(instance), rows)
    return incidents.run_step(step, instance_id=instance_id)


def retry(instance_id, actor=None, reason=""):
    """Run a failed instance again from the element that failed (an incident: from where it stood)."""
    def step():
        with locked_instance(instance_id) as (instance, rows), audit.acting_as(actor):
            _transition(instance, "retry", reason)
            workflow = load_workflow(instance)
            workflow_ops.reset_failed_tasks(workflow)
            return advance(instance, workflow, rows)
    return incidents.run_step(step, instance_id=instance_id)


def cancel(instance_id, actor=None, reason=""):
    with locked_instance(instance_id) as (instance, rows), audit.acting_as(actor):
        _transition(instance, "cancel", reason)
        workflow = load_workflow(instance)
        workflow.cancel()
        for row in list(rows.tasks.values()):
            row.cancel()
            rows.closed_task(row)
        Timer.objects.filter(instance=instance).delete()
        MessageSubscription.objects.filter(instance=instance).delete()
        instance.has_timer_rows = instance.has_subscription_rows = False
        return advance(instance, workflow, rows)


def _transition(instance, name, reason):
    check_text(reason, "reason")
    method = getattr(instance, name)
    if not can_proceed(method):
        raise Conflict(_("流程实例%(state)s，不能%(action)s") % {
            "state": InstanceState.LABELS.get(instance.state, instance.state),
            "action": CONTROL_LABELS.get(name, name)})
    method(audit={"reason": reason} if reason else None)


def advance_instance(instance_id):
    """Fire what is due (timers) and deliver what waits; idempotent, so safe to run twice (the system's job).

    A step that fails outside the workflow is tried again or recorded as an incident (StepFailed).
    """
    def step():
        with locked_instance(instance_id) as (instance, rows):
            if instance.state in InstanceState.ACTIVE:
                result = advance(instance, load_workflow(instance), rows)
            else:
                result = step_result(instance, rows)
            for row in rows.timers.values():
                if row.state == Timer.CLAIMED:  # not fired: the next tick may claim it again
                    row.state, row.claimed_at = Timer.WAITING, None
                    batch.update(row, ["state", "claimed_at"])
        return result
    return incidents.run_step(step, instance_id=instance_id)
