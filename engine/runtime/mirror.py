"""Mirroring a workflow into rows after each step: open human tasks, waiting timers, message subscriptions.

The inbox, the timer dispatcher and message delivery query these rows and never
load a workflow to do so.
"""
from datetime import date, datetime

from django.db import connection
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .. import audit, batch, clock, workcalendar
from ..bpmn.parser import deadline, due_date_expression, form_id, instructions
from ..directory import get_directory
from ..models import HumanTask, MessageSubscription, Timer
from ..models.messages import MESSAGE, SIGNAL
from ..models.tasks import TaskState as RowState
from .pruning import completed_of
from .workflow_ops import task_by_id


def due_datetime(value):
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


def declared_deadline(task):
    """The task's declared deadline with the China date it runs from, or None."""
    declared = deadline(task.task_spec)
    if not declared:
        return None
    start = clock.now()
    if declared["from"]:
        start = task.data
        for key in declared["from"].split("."):
            start = start.get(key) if isinstance(start, dict) else None
    try:
        return {**declared, "start": workcalendar.day_of(start).isoformat()}
    except (TypeError, ValueError):
        return None  # the due date's own evaluation says what is wrong with the field


def evaluate_due(workflow, task):
    """(due_at, provisional) of a user task from its dueDate expression, or (None, False)."""
    expression = due_date_expression(task.task_spec)
    if not expression:
        return None, False
    value = workflow.script_engine.evaluate(task, expression)
    due = due_datetime(value)
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
    return event_definitions_of(task.task_spec)


def event_definitions_of(task_spec):
    """The event definitions an event's spec catches or throws (a multiple event has several)."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def timer_due(task, definition):
    """When the waiting task's timer is due; None for a cycle past its last repetition.

    Such a cycle reports its spent state instead of a time.
    """
    value = definition.details(task).value
    return datetime.fromisoformat(value) if isinstance(value, str) else None


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


# Read on every step that touches tasks; plain SQL for the same reason as the lock (locking.py).
ACTIVE_TASKS = f"state IN ({', '.join(repr(s) for s in RowState.ACTIVE)})"
_ACTIVE_TASKS_SQL = f"SELECT * FROM {HumanTask._meta.db_table} WHERE instance_id = %s AND {ACTIVE_TASKS}"
_TIMERS_SQL = f"SELECT * FROM {Timer._meta.db_table} WHERE instance_id = %s ORDER BY due_at"  # as the ORM orders them


class KnownRows:
    """The instance's task, timer and subscription rows as this step knows them.

    Each kind is read at most once per step (and not at all when the caller has them, or
    when the instance recorded none); changes are made here and written through engine.batch.
    """

    def __init__(self, instance, new=False, tasks=None, timers=None):
        self.instance = instance
        # `tasks`, `timers`: the open task rows and the timer rows when the lock read them already (locking.py,
        # on PostgreSQL).
        self._tasks = {} if new else tasks
        self._timers = {} if new else timers
        self._subscriptions = {} if new else None
        # Messages handed over in this step: their new state is written only when the step ends.
        self.delivered = set()
        # Human task rows this step created, and completed or cancelled (for its StepResult).
        self.opened, self.closed = [], []
        # What the step cut off the workflow's task tree: each task's last state, the elements it completed.
        self.dropped_states, self.completed_elements = {}, set()

    def forget(self, tasks):
        """Keep what the step needs of tasks cut off the workflow (engine/runtime/pruning.py)."""
        for task in tasks:
            self.dropped_states[task.id] = task.state
        self.completed_elements |= completed_of(tasks)

    def closed_task(self, row):
        """Write a row the step just completed or cancelled, and count it among the step's closed rows."""
        self.tasks.pop(row.id, None)
        batch.update(row, HumanTask.TRANSITION_FIELDS)
        self.closed.append(row)

    @property
    def tasks(self):
        if self._tasks is None:
            self._tasks = {r.id: r for r in HumanTask.objects.raw(_ACTIVE_TASKS_SQL, [self._instance_id()])}
            for row in self._tasks.values():
                row.instance = self.instance
        return self._tasks

    @property
    def timers(self):
        if self._timers is None:
            self._timers = ({r.task_id: r for r in Timer.objects.raw(_TIMERS_SQL, [self._instance_id()])}
                            if self.instance.has_timer_rows else {})
            for row in self._timers.values():
                row.instance = self.instance
        return self._timers

    def _instance_id(self):
        return HumanTask._meta.pk.get_db_prep_value(self.instance.pk, connection)

    @property
    def subscriptions(self):
        if self._subscriptions is None:
            self._subscriptions = ({(r.task_id, r.name): r for r in MessageSubscription.objects.filter(
                instance=self.instance)} if self.instance.has_subscription_rows else {})
        return self._subscriptions

    def drop_subscription(self, subscription):
        self.subscriptions.pop((subscription.task_id, subscription.name), None)
        batch.delete(subscription)


def task_row_values(workflow, task):
    """What a human task row shows of its task: name, lane role and office, form, instructions, due date."""
    spec = task.task_spec
    directory = get_directory()
    role = directory.role_for_lane(spec.lane) or ""
    office = directory.office_for(role, task.data) if role else ""
    due_at, provisional = evaluate_due(workflow, task)
    return {"name": spec.bpmn_name or spec.bpmn_id, "lane": role, "office": office or "", "form_id": form_id(spec),
            "instructions": instructions(spec), "due_at": due_at, "due_provisional": provisional,
            "deadline": declared_deadline(task) if due_at else None}


def mirror_tasks(instance, workflow, ready, rows):
    """Create rows for new open human tasks; cancel rows whose task left the workflow. Returns open rows.

    Everything that can fail (due-date expressions) is evaluated before anything changes.
    """
    ready = {t.id: t for t in ready}
    known = rows.tasks
    created = []
    for task_id, task in ready.items():
        if task_id in known:
            continue
        created.append(HumanTask(id=task_id, instance=instance, bpmn_id=task.task_spec.bpmn_id,
                                 created_at=clock.now(), **task_row_values(workflow, task)))
    for task_id in [task_id for task_id in known if task_id not in ready]:
        row = known[task_id]
        row.cancel()
        rows.closed_task(row)
    for row in created:
        known[row.id] = row
        rows.opened.append(row)
        batch.insert(row)
        audit.record("task.created", instance=instance, task_id=row.id, to_state=row.state,
                     data={"name": row.name, "office": row.office,
                           "due_at": row.due_at.isoformat() if row.due_at else None})
    return list(known.values())


def mirror_waits(instance, workflow, waiting, rows):
    """Timer and subscription rows for the events the workflow waits on. Returns new subscriptions."""
    timers, messages = {}, {}
    for task in waiting:
        for definition in event_definitions(task):
            if isinstance(definition, TimerEventDefinition):
                due = timer_due(task, definition)
                if due is not None:
                    timers[task.id] = (task, due)
            elif isinstance(definition, (MessageEventDefinition, SignalEventDefinition)):
                messages[(task.id, definition.name)] = (task, definition)
    _sync_timers(instance, workflow, timers, rows)
    instance.has_timer_rows = bool(timers)
    new_subscriptions = _sync_subscriptions(instance, workflow, messages, rows.subscriptions)
    instance.has_subscription_rows = bool(messages)
    return new_subscriptions


def _sync_timers(instance, workflow, waiting, rows):
    known = rows.timers
    for task_id in [task_id for task_id in known if task_id not in waiting]:
        row = known.pop(task_id)
        batch.delete(row)
        # The task also completes when another event of its gateway won: only a due timer fired.
        fired = _task_state(workflow, task_id, rows) == TaskState.COMPLETED and row.due_at <= clock.now()
        audit.record("timer.fired" if fired else "timer.cancelled", instance=instance, task_id=task_id,
                     data={"element": row.bpmn_id, "due_at": row.due_at.isoformat()})
    for task_id, (task, due) in waiting.items():
        row = known.get(task_id)
        if row is None:
            row = known[task_id] = Timer(
                instance=instance, task_id=task_id, bpmn_id=task.task_spec.bpmn_id,
                name=task.task_spec.bpmn_name or "", due_at=due, armed_at=clock.now(),
                provisional=_provisional(None, due))
            batch.insert(row)
            audit.record("timer.armed", instance=instance, task_id=task_id,
                         data={"element": row.bpmn_id, "due_at": due.isoformat(), "provisional": row.provisional})
        elif due != row.due_at:
            # A cycle timer fired and waits for its next due time.
            audit.record("timer.fired", instance=instance, task_id=task_id,
                         data={"element": row.bpmn_id, "due_at": row.due_at.isoformat()})
            row.due_at, row.state, row.claimed_at = due, Timer.WAITING, None
            row.provisional = _provisional(None, due)
            batch.update(row, ["due_at", "state", "claimed_at", "provisional"])


def _sync_subscriptions(instance, workflow, waiting, known):
    new = []
    for key, (task, definition) in waiting.items():
        if key not in known:
            signal = isinstance(definition, SignalEventDefinition)
            known[key] = MessageSubscription(
                instance=instance, task_id=task.id, bpmn_id=task.task_spec.bpmn_id, name=definition.name,
                kind=SIGNAL if signal else MESSAGE,
                correlation={} if signal else expected_correlation(workflow, task, definition), created_at=clock.now())
            new.append(known[key])
    for key in [key for key in known if key not in waiting]:
        batch.delete(known.pop(key))
    for row in new:
        batch.insert(row)
    return new


def _task_state(workflow, task_id, rows):
    """The task's state, also when the step already cut it off the tree."""
    task = task_by_id(workflow, task_id)
    return task.state if task is not None else rows.dropped_states.get(task_id)
