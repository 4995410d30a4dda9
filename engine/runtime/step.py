"""One engine step: run the workflow as far as it goes without people, then mirror it into rows.

Called with the instance row locked (see locking.py) and its workflow loaded.
A failing script, service task or expression stops the step at that element:
the instance becomes `failed` with the error and the element; what ran before
it is kept, the failing element's own effects are not (scripts run on a copy
of the task data), and `retry` runs it again.
"""
import logging

from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from .. import batch, clock, datahooks
from ..bpmn.serializer import to_json_data
from ..models import AuditEvent
from ..models.messages import SIGNAL
from ..storable import json_problem
from ..models.instances import InstanceState
from . import conditions, messaging, mirror, pruning, schedules, signals, workflow_ops
from .loading import store_workflow
from .results import StepResult

log = logging.getLogger(__name__)

# What a step may change on the instance row.
STEP_FIELDS = ("state", "serialized", "serializer_version", "data", "current_elements", "completed_elements",
               "updated_at", "ended_at", "error", "error_element", "error_attempts", "has_timer_rows",
               "has_subscription_rows")

# A guard against a diagram that messages itself forever within one step.
_MAX_DELIVERIES_PER_STEP = 1000


class UnstorableState(ValueError):
    """What a step would store holds a value no database here stores (a script set it)."""


def _run_engine(workflow, rows):
    """Run what needs no person, cutting the history off as it goes (rows.forget keeps what went)."""
    while True:
        workflow.do_engine_steps()
        # Cut back after every pass: a loop run within one step must not reach SpiffWorkflow's depth
        # limit, where its iterator stops seeing tasks. A timer that came due during the run is only
        # marked ready by the first pass.
        rows.forget(pruning.prune(workflow))
        fired = conditions.fire_held(workflow)  # the data the pass left may fulfil a waiting condition
        if getattr(workflow, "starting", False):
            workflow.starting = False  # the first pass reached its start events
            fired += schedules.fire_timer_starts(workflow)
        if not fired and workflow.get_next_task(state=TaskState.READY, manual=False) is None:
            return


def _failure_element(err):
    task = getattr(err, "task", None)
    if task is not None:
        return task.task_spec.bpmn_id or task.task_spec.name
    task_spec = getattr(err, "task_spec", None)
    return getattr(task_spec, "bpmn_id", "") or ""


def _describe(err):
    message = str(err).strip()
    line = getattr(err, "line_number", None)
    if line and f"line {line}" not in message:
        message = f"{message} (line {line})"
    notes = getattr(err, "__notes__", None)
    return f"{message} ({'; '.join(notes)})" if notes else message


def advance(instance, workflow, rows=None, new=False):
    """Run, mirror and deliver until the workflow waits; then store it and set the instance's state.

    `rows`: the instance's rows as the caller knows them (mirror.KnownRows); `new`: the
    instance is being started, so it has no rows and is inserted rather than updated.
    A failure leaves the rows as the last mirror wrote them; the instance is then `failed`, which
    stops every operation on it but retry, and retry mirrors again. Returns the StepResult.
    """
    open_tasks = None
    ready = waiting = ()
    rows = rows or mirror.KnownRows(instance, new=new)
    signals.listen(workflow)
    if instance.state in InstanceState.ACTIVE:
        try:
            deliveries = 0
            while True:
                _run_engine(workflow, rows)
                ready, waiting = mirror.open_and_waiting(workflow)
                open_tasks = mirror.mirror_tasks(instance, workflow, ready, rows)
                new_subscriptions = mirror.mirror_waits(instance, workflow, waiting, rows)
                delivered = False
                for subscription in new_subscriptions:
                    if subscription.kind == SIGNAL:
                        continue  # a signal is not kept for whoever waits later
                    message = messaging.take_pending_for(subscription, rows.delivered)
                    if message is not None:
                        messaging.deliver_into(instance, workflow, rows, subscription, message)
                        delivered = True
                        deliveries += 1
                if not delivered or deliveries > _MAX_DELIVERIES_PER_STEP:
                    break
            messaging.store_outbound(instance, workflow)
            signals.store_thrown(instance, workflow)
        except WorkflowException as err:
            log.info("instance %s failed: %s", instance.pk, err)
            instance.fail(_describe(err), _failure_element(err))
            ready, waiting = mirror.open_and_waiting(workflow)
    _settle_state(instance, workflow, open_tasks)
    rows.forget(pruning.prune(workflow))  # what a failure or a delivery left
    history = rows.completed_elements | workflow_ops.completed_elements(workflow)
    if not history.issubset(instance.completed_elements):
        instance.completed_elements = sorted(history.union(instance.completed_elements))
    store_workflow(instance, workflow)
    problem = json_problem(instance.serialized)
    if problem:
        # PostgreSQL would refuse it at commit and SQLite keep it: refused alike, as the step's failure.
        raise UnstorableState(f"the step's data {problem}")
    last = workflow.last_task
    before = None if new else instance.data
    if last is not None or not instance.data:  # without a last task, the data shown so far stays
        instance.data = to_json_data(last.data if last is not None else workflow.data)
    elements = {t.task_spec.bpmn_id for t in (*ready, *waiting)} | {instance.error_element}
    instance.current_elements = sorted(e for e in elements if e)
    instance.updated_at = clock.now()
    if new:
        batch.insert(instance)
    else:
        batch.update(instance, STEP_FIELDS)
    if new or instance.data != before:
        _write_data_rows(*datahooks.rows_for(instance, before))
    for row in rows.closed:  # told with the data the step leaves
        datahooks.task_closed(instance, row)
    return step_result(instance, rows, open_tasks)


def _write_data_rows(inserts, deletes):
    """The listeners' rows (datahooks) into the batch. One the batch already inserts (an instance stepped
    twice in one batch, a child's step inside its parent's) is replaced or dropped rather than written twice."""
    current = batch.current()

    def drop_pending(row):
        pending = [obj for obj in current.inserted(type(row)) if obj.pk == row.pk]
        for obj in pending:
            current.delete(obj)
        return pending

    for row in deletes:
        if not drop_pending(row):
            current.delete(row)
    for row in inserts:
        drop_pending(row)
        current.insert(row)


def step_result(instance, rows, open_tasks=None):
    """The StepResult of a command on the instance, from the rows it changed and the step's audit rows."""
    # Callers learn what the step left to people without asking the database again.
    open_tasks = tuple(open_tasks if open_tasks is not None else rows.tasks.values())
    events = tuple(e for e in batch.current().inserted(AuditEvent) if e.instance is instance)
    return StepResult(instance, opened=tuple(rows.opened), closed=tuple(rows.closed), open_tasks=open_tasks,
                      events=events)


def _settle_state(instance, workflow, open_tasks):
    if instance.state not in InstanceState.ACTIVE:
        return
    if workflow.is_completed():
        stranded = workflow_ops.unreachable_unfinished(workflow)
        if stranded:
            # SpiffWorkflow's iterator stops at a depth limit and then reports the workflow completed.
            instance.fail(f"the workflow cannot go on: {len(stranded)} unfinished tasks lie beyond "
                          "SpiffWorkflow's task tree depth limit", stranded[0])
        else:
            instance.complete()
    elif open_tasks:
        if instance.state != InstanceState.RUNNING:
            instance.mark_running()
    elif instance.state != InstanceState.WAITING:
        instance.mark_waiting()
