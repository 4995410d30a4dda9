"""How a due date stands today: working days left on the working-day calendar, and a state for colour."""
from datetime import timedelta

from engine import clock, workcalendar
from engine.models.tasks import TaskState, is_overdue

SOON_WORKDAYS = 3  # "due soon" in the inbox: within this many working days

LATE, SOON, ON_TIME = "late", "soon", "ok"


def workdays_left(due_at, today=None):
    """Working days after today up to the due date's last day; 0 when it ends today, negative when late by so
    many working days."""
    last = workcalendar.day_of(due_at)
    today = today or clock.today_in_china()
    first, end, sign = (today, last, 1) if last >= today else (last, today, -1)
    count, day = 0, first
    while day < end:
        day += timedelta(days=1)
        count += workcalendar.is_workday(day)
    return sign * count


def due_state(task, now=None):
    """LATE, SOON or ON_TIME for an open task with a due time; "" for any other."""
    if task.state not in TaskState.ACTIVE or task.due_at is None:
        return ""
    now = now or clock.now()
    if is_overdue(task.state, task.due_at, now):
        return LATE
    return SOON if task.due_at <= soon_limit(now) else ON_TIME


def soon_limit(now=None):
    """The instant before which an open task counts as due soon."""
    return workcalendar.add_workdays(now or clock.now(), SOON_WORKDAYS).at
