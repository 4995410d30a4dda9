"""Due dates coming near and passing: each open task is announced once as due soon (within
engine.api.DUE_SOON_WORKDAYS working days) and once as overdue, again only if its due time moves."""
from django.db.models import Exists, OuterRef

from engine import api
from engine.api import clock
from engine.models import HumanTask, InstanceState

from . import compose, recipients
from .models import Kind, TaskReminder
from .notices import notify


def scan(now=None, limit=500):
    """Announce what fell due soon or late since the last scan; returns how many tasks were announced."""
    now = now or clock.now()
    found = 0
    for kind, tasks in ((Kind.OVERDUE, HumanTask.objects.overdue(now)),
                        (Kind.DUE_SOON, HumanTask.objects.due_soon(api.due_soon_limit(now), now))):
        announced = TaskReminder.objects.filter(task_id=OuterRef("pk"), kind=kind, due_at=OuterRef("due_at"))
        for task in (tasks.filter(instance__state__in=InstanceState.ACTIVE).exclude(Exists(announced))
                     .select_related("instance__version__definition").order_by("due_at")[:limit]):
            TaskReminder.objects.create(task_id=task.pk, kind=kind, due_at=task.due_at)
            if kind == Kind.DUE_SOON and task.due_at <= api.due_soon_limit(task.created_at):
                continue  # due soon from the start: its arrival said when
            subject, body, url = compose.due_reminder(kind, task)
            notify(recipients.for_task(task), kind, f"{kind}:{task.pk}:{task.due_at.timestamp():.0f}", subject,
                   body, url)
            found += 1
    return found
