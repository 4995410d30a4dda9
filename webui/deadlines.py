"""How a due date stands today: working days left on the working-day calendar, and a state for colour."""
from datetime import time, timedelta

from django.utils.translation import gettext as _, gettext_lazy

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
    return calendar.workdays_between(today or clock.today_in_china(), calendar.day_of(due_at))


def due_state(task, now=None):
    """LATE, SOON or ON_TIME for an open task with a due time; "" for any other."""
    if task.state not in TaskState.ACTIVE or task.due_at is None:
        return ""
    now = now or clock.now()
    if is_overdue(task.state, task.due_at, now):
        return LATE
    return SOON if task.due_at <= api.due_soon_limit(now) else ON_TIME


_KINDS = {"holiday": gettext_lazy("节假日"), "weekend": gettext_lazy("周末"), "regional": gettext_lazy("地方性假日")}


def _days(days):
    return "、".join(f"{d.day:%m-%d}" + (f" {d.name}" if d.name else "") for d in days)


def explanation(task):
    """Lines that say how the task's due time was counted: from which day, what was skipped or worked,
    on what legal basis, and why it is provisional. Empty for a task without a due time."""
    explained = api.explain_due(task)
    if explained is None:
        return []
    declared = explained.deadline
    if declared and declared["from"]:
        start = _("自 %(field)s %(day)s 起算，当日不计") % {"field": declared["from"], "day": explained.start}
    else:
        start = _("自任务开始之日 %(day)s 起算，当日不计") % {"day": explained.start}
    lines = [start]
    if declared:
        period = api.deadline_data(task)["text"]  # as the form's text says it
        if declared["unit"] == "days":
            period += _("（末日逢休息日顺延）")
        lines.append(_("期限 %(period)s，截止 %(due)s") % {"period": period, "due": shown(explained.due_at)})
    else:  # a due date the diagram computes: say how many working days it left
        lines.append(_("截止 %(due)s，其间 %(n)s 个工作日") % {
            "due": shown(explained.due_at), "n": workdays_left(explained.due_at, explained.start)})
    for kind, label in _KINDS.items():
        days = [d for d in explained.noted if d.kind == kind]
        if days:
            lines.append(_("不计%(kind)s：%(days)s") % {"kind": label, "days": _days(days)})
    worked = [d for d in explained.noted if d.kind == "makeup"]
    if worked:
        lines.append(_("调休上班，计入：%(days)s") % {"days": _days(worked)})
    if declared and declared.get("basis"):
        lines.append(_("依据：%(basis)s") % {"basis": declared["basis"]})
    if explained.provisional:
        years = "、".join(str(year) for year in explained.uncovered_years)
        lines.append(_("暂定：%(years)s 年的节假日安排尚未载入，载入后将重新计算") % {"years": years})
    return lines
