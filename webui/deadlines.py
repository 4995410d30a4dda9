"""How a due date stands today: working days left on the working-day calendar, and a state for colour."""
from datetime import time, timedelta

from engine import api
from engine.api import calendar, clock
from engine.models import TaskState, is_overdue

LATE, SOON, ON_TIME = "late", "soon", "ok"


def shown(moment):
    """A due time as deadlines are written, on pages and in exports alike: a period that ends at midnight
    ends at 24:00 of its last day (2026-03-09 24:00, not 2026-03-10 00:00, which reads as a day later)."""
    local = moment.astimezone(clock.CHINA)
    if local.time() == time.min:
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def workdays_left(due_at, today=None):
    """Working days after today up to the due date's last day; 0 when it ends today, negative when late by so
    many working days."""
    last = calendar.day_of(due_at)
    today = today or clock.today_in_china()
    first, end, sign = (today, last, 1) if last >= today else (last, today, -1)
    count, day = 0, first
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_workday(day)
    return sign * count


def due_state(task, now=None):
    """LATE, SOON or ON_TIME for an open task with a due time; "" for any other."""
    if task.state not in TaskState.ACTIVE or task.due_at is None:
        return ""
    now = now or clock.now()
    if is_overdue(task.state, task.due_at, now):
        return LATE
    return SOON if task.due_at <= api.due_soon_limit(now) else ON_TIME
