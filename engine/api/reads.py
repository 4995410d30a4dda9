"""Queries about running instances that need their workflow: a task's form and data, a diagram's marks.

They deserialize a copy of the workflow, or borrow the one kept for the next step and give it back, and
change nothing.
"""
import copy
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext_lazy

from .. import clock, workcalendar
from ..directory import working_offices as _working_offices
from ..formoptions import options_for
from ..models import AuditEvent, HumanTask
from ..models.tasks import TaskState, is_overdue
from ..runtime import workflow_ops
from ..runtime.earliest import earliest_allowed
from ..runtime.loading import form_schema, lent_workflow


DUE_SOON_WORKDAYS = 3  # an open task is due soon within this many working days


def due_soon_limit(now=None):
    """The instant up to which an open task counts as due soon."""
    return workcalendar.add_workdays(now or clock.now(), DUE_SOON_WORKDAYS).at


def working_offices(user):
    """(office codes, usernames): the offices whose tasks `user` may work on, their own and those of the
    people they stand in for (the directory's stands_in_for), and who those people are."""
    return _working_offices(user)


def inbox(user, tab="mine", now=None):
    """The open tasks an inbox tab (HumanTask.INBOX_TABS) lists for `user`, across the offices the directory
    gives them; who may see which instance is the domain's to add."""
    now = now or clock.now()
    offices, standing_in = _working_offices(user)
    return HumanTask.objects.inbox(offices, user.get_username(), tab, due_soon_limit(now), now, standing_in)


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
    shown = {**options_for(schema), **({"task_deadline": deadline_data(row)} if row.deadline else {})}
    if row.state not in TaskState.ACTIVE:
        event = AuditEvent.objects.filter(task_id=row.id, action="task.complete").first()
        return TaskForm(schema, {**((event.data or {}).get("data", {}) if event else {}), **shown})
    with lent_workflow(row.instance) as workflow:
        task = workflow_ops.find_task(workflow, row)
        if task is None:
            return TaskForm(schema, shown)
        # A copy: the form's data must not share a value with the workflow the next step takes.
        data = copy.deepcopy(workflow_ops.task_data(task))
        return TaskForm(schema, {**data, **shown}, earliest_allowed(workflow, task))


@dataclass(frozen=True)
class DueExplanation:
    """How a task's due time was reached: counted from `start` (not itself counted) to `last_day`, 24:00.

    `deadline` is the task's declared deadline ({period, unit, from, basis}) or None when the diagram
    gives the due date as an expression; `noted` the weekends, holidays and make-up working days
    (workcalendar.NotedDay) in between; `uncovered_years` the years whose holiday notice is not loaded
    yet, which make the due time provisional.
    """

    due_at: datetime
    start: date
    last_day: date
    deadline: dict | None
    noted: list
    uncovered_years: list

    @property
    def provisional(self):
        return bool(self.uncovered_years)


def explain_due(row, region=None):
    """The DueExplanation of human task `row`'s due time, or None when it has none."""
    if row.due_at is None:
        return None
    declared = row.deadline or None
    start = date.fromisoformat(declared["start"]) if declared else workcalendar.day_of(row.created_at)
    last_day = workcalendar.day_of(row.due_at)
    if last_day < start:
        start = last_day
    uncovered = workcalendar.uncovered_years(start.year, last_day.year) if row.due_provisional else []
    return DueExplanation(row.due_at, start, last_day, declared, workcalendar.noted_days(start, last_day, region),
                          uncovered)


_UNIT_TEXT = {"workdays": gettext_lazy("%(n)s 个工作日"), "days": gettext_lazy("%(n)s 日")}


def deadline_data(row):
    """What a form's text may show of its task's declared deadline, or None: the form's data gets it as
    `task_deadline`, so a form writes {{task_deadline.text}} ("15 个工作日") where it would otherwise
    repeat the diagram's number."""
    declared = row.deadline
    if not declared:
        return None
    return {"period": declared["period"], "unit": declared["unit"], "basis": declared.get("basis", ""),
            "text": str(_UNIT_TEXT[declared["unit"]]) % {"n": declared["period"]},
            "due": workcalendar.day_of(row.due_at).isoformat() if row.due_at else None}


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
