"""Mirroring a workflow into rows after each step: open human tasks, waiting timers, message subscriptions.

The inbox, the timer dispatcher and message delivery query these rows and never
load a workflow to do so.
"""
from datetime import date, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .. import audit, clock, workcalendar
from ..bpmn.parser import due_date_expression, form_id, instructions
from ..directory import get_directory
from ..models import HumanTask, MessageSubscription, Timer
from ..models.tasks import TaskState as RowState


def _as_datetime(value):
    """A due value from an expression (ISO string, datetime or date) as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.CHINA)
    if isinstance(value, date):
        return workcalendar.end_of_day(value).at
    raise ValueError(f"a due date must be a date or an ISO timestamp, not {value!r}")


def _provisional(value, due):
    flag = getattr(value, "provisional", None)
    if flag is not None:
        return bool(flag)
    return workcalendar.is_provisional_span(clock.now().astimezone(clock.CHINA).year,
                                            due.astimezone(clock.CHINA).year)


def evaluate_due(workflow, task):
    """(due_at, provisional) of a user task from its dueDate expression, or (None, False)."""
    expression = due_date_expression(task.task_spec)
    if not expression:
        return None, False
    value = workflow.script_engine.evaluate(task, expression)
    due = _as_datetime(value)
    return due, _provisional(value, due)


def flatten(correlations):
    """SpiffWorkflow's {key: {property: value}} as {property: value}."""
    flat = {}
    for properties in (correlations or {}).values():
        if isinstance(properties, dict):
            flat.update(properties)
    return flat


def event_definitions(task):
    """The event definitions a waiting task catches (an event-based gateway catches several)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def expected_correlation(workflow, task, definition):
    props = getattr(definition, "process_correlations", None)
    if not props:
        return {}
    return flatten(definition.calculate_correlations(workflow.script_engine, props, task.data))


def open_and_waiting(workflow):
    """(ready human tasks, waiting tasks) in one walk of the task tree."""
    ready, waiting = [], []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.state == TaskState.WAITING:
            waiting.append(task)
        elif task.task_spec.manual:
            ready.append(task)
    return ready, waiting


def active_rows(instance):
    return {r.id: r for r in HumanTask.objects.filter(instance=instance, state__in=RowState.ACTIVE)}


def mirror_tasks(instance, workflow, ready, rows):
    """Create rows for new open human tasks; cancel rows whose task left the workflow. Returns open rows.

    `rows`: the instance's active task rows ({id: row}). Everything that can fail (due-date
    expressions) is evaluated before anything is written.
    """
    directory = get_directory()
    ready = {t.id: t for t in ready}
    created = []
    for task_id, task in ready.items():
        if task_id in rows:
            continue
        spec = task.task_spec
        role = directory.role_for_lane(spec.lane) or ""
        office = directory.office_for(role, task.data) if role else ""
        due_at, provisional = evaluate_due(workflow, task)
        created.append(HumanTask(
            id=task_id, instance=instance, bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            lane=role, office=office or "", form_id=form_id(spec), instructions=instructions(spec),
            due_at=due_at, due_provisional=provisional, created_at=clock.now(),
        ))
    for task_id, row in rows.items():
        if task_id not in ready:
            row.cancel()
            row.save_transition()
    HumanTask.objects.bulk_create(created)
    for row in created:
        audit.record("task.created", instance=instance, task_id=row.id, to_state=row.state,
                     data={"name": row.name, "office": row.office,
                           "due_at": row.due_at.isoformat() if row.due_at else None})
    return [r for r in rows.values() if r.id in ready] + created


def mirror_waits(instance, workflow, waiting):
    """Timer and subscription rows for the events the workflow waits on. Returns new subscriptions."""
    timers, messages = {}, {}
    for task in waiting:
        for definition in event_definitions(task):
            if isinstance(definition, TimerEventDefinition):
                value = definition.details(task).value
                # A cycle timer past its last repetition reports its spent state, not a time.
                if isinstance(value, str):
                    timers[task.id] = (task, datetime.fromisoformat(value))
            elif isinstance(definition, MessageEventDefinition):
                messages[(task.id, definition.name)] = (task, definition)
    _sync_timers(instance, workflow, timers)
    instance.has_timer_rows = bool(timers)
    new_subscriptions = _sync_subscriptions(instance, workflow, messages)
    instance.has_subscription_rows = bool(messages)
    return new_subscriptions


def _sync_timers(instance, workflow, waiting):
    rows = {r.task_id: r for r in Timer.objects.filter(instance=instance)} if instance.has_timer_rows else {}
    for task_id, row in rows.items():
        entry = waiting.get(task_id)
        if entry is None:
            row.delete()
            # The task also completes when another event of its gateway won: only a due timer fired.
            fired = _task_state(workflow, task_id) == TaskState.COMPLETED and row.due_at <= clock.now()
            audit.record("timer.fired" if fired else "timer.cancelled", instance=instance, task_id=task_id,
                         data={"element": row.bpmn_id, "due_at": row.due_at.isoformat()})
        elif entry[1] != row.due_at:
            # A cycle timer fired and waits for its next due time.
            audit.record("timer.fired", instance=instance, task_id=task_id,
                         data={"element": row.bpmn_id, "due_at": row.due_at.isoformat()})
            row.due_at, row.state, row.claimed_at = entry[1], Timer.WAITING, None
            row.provisional = _provisional(None, entry[1])
            row.save(update_fields=["due_at", "state", "claimed_at", "provisional"])
    new = []
    for task_id, (task, due) in waiting.items():
        if task_id in rows:
            continue
        new.append(Timer(instance=instance, task_id=task_id, bpmn_id=task.task_spec.bpmn_id,
                         name=task.task_spec.bpmn_name or "", due_at=due, armed_at=clock.now(),
                         provisional=_provisional(None, due)))
    Timer.objects.bulk_create(new)
    for row in new:
        audit.record("timer.armed", instance=instance, task_id=row.task_id,
                     data={"element": row.bpmn_id, "due_at": row.due_at.isoformat(), "provisional": row.provisional})


def _sync_subscriptions(instance, workflow, waiting):
    rows = ({(r.task_id, r.name): r for r in MessageSubscription.objects.filter(instance=instance)}
            if instance.has_subscription_rows else {})
    new = [
        MessageSubscription(instance=instance, task_id=task.id, bpmn_id=task.task_spec.bpmn_id,
                            name=definition.name, correlation=expected_correlation(workflow, task, definition),
                            created_at=clock.now())
        for key, (task, definition) in waiting.items() if key not in rows
    ]
    stale = [r.pk for key, r in rows.items() if key not in waiting]
    if stale:
        MessageSubscription.objects.filter(pk__in=stale).delete()
    MessageSubscription.objects.bulk_create(new)
    return new


def _task_state(workflow, task_id):
    try:
        task = workflow.get_task_from_id(task_id)
    except Exception:  # noqa: BLE001 - a task dropped from the tree has no state left
        return None
    return task.state if task is not None else None
