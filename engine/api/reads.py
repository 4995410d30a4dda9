"""Queries about running instances that need their workflow: a task's form and data, a diagram's marks.

They deserialize a copy of the workflow and change nothing (the workflow kept for the next step stays
where it is).
"""
from dataclasses import dataclass
from datetime import datetime

from .. import clock, workcalendar
from ..directory import get_directory
from ..models import AuditEvent, HumanTask
from ..models.tasks import TaskState, is_overdue
from ..runtime import workflow_ops
from ..runtime.earliest import earliest_allowed
from ..runtime.loading import form_schema, read_workflow


DUE_SOON_WORKDAYS = 3  # an open task is due soon within this many working days


def due_soon_limit(now=None):
    """The instant up to which an open task counts as due soon."""
    return workcalendar.add_workdays(now or clock.now(), DUE_SOON_WORKDAYS).at


def inbox(user, tab="mine", now=None):
    """The open tasks an inbox tab (HumanTask.INBOX_TABS) lists for `user`, across the offices the directory
    gives them; who may see which instance is the domain's to add."""
    now = now or clock.now()
    return HumanTask.objects.inbox(get_directory().offices_of(user), user.get_username(), tab,
                                   due_soon_limit(now), now)


@dataclass(frozen=True)
class TaskForm:
    """What a task's form shows: its schema (None without a form), the data it is filled over (an open
    task's data in its process, or what was submitted when it was completed), and the moment from which it
    may be completed (None when it has no minimum period or is closed)."""

    schema: dict | None
    data: dict
    not_before: datetime | None = None


def task_form(row) -> TaskForm:
    """The form of human task `row` (a HumanTask) as its page or a client filling it needs it."""
    schema = form_schema(row.instance.version, row.form_id) if row.form_id else None
    if row.state not in TaskState.ACTIVE:
        event = AuditEvent.objects.filter(task_id=row.id, action="task.complete").first()
        return TaskForm(schema, (event.data or {}).get("data", {}) if event else {})
    workflow = read_workflow(row.instance)
    task = workflow_ops.find_task(workflow, row)
    if task is None:
        return TaskForm(schema, {})
    return TaskForm(schema, workflow_ops.task_data(task), earliest_allowed(workflow, task))


def diagram_marks(instance, tasks=None, now=None):
    """BPMN ids to mark on the instance's diagram: {"completed", "current", "overdue"}, each sorted.

    `tasks`: the instance's human task rows when the caller has them loaded.
    """
    completed = set(instance.completed_elements)
    current = set(instance.current_elements)
    if instance.error_element:
        current.add(instance.error_element)
    now = now or clock.now()
    tasks = HumanTask.objects.filter(instance=instance) if tasks is None else tasks
    overdue = {t.bpmn_id for t in tasks if is_overdue(t.state, t.due_at, now)}
    return {"completed": sorted(completed - current), "current": sorted(current - overdue),
            "overdue": sorted(overdue)}
