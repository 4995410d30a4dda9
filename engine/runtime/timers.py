"""Finding due timers and handing their instances to the worker.

The dispatcher runs on Celery beat (or on a thread in the embedded mode). It
claims due timer rows with SELECT ... FOR UPDATE SKIP LOCKED, so two
dispatchers never claim the same row, and enqueues an advance of each
instance after the claim commits. Delivery is at least once: a claim whose
advance never finished expires after the lease and is claimed again. Firing is
idempotent because the advance runs under the instance lock and SpiffWorkflow
fires a timer task only once.
"""
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .. import audit, clock, queue, spiff_private, workcalendar
from ..models import HumanTask, Message, MessageSubscription, Timer
from ..models.messages import MESSAGE, SIGNAL
from ..models.instances import InstanceState
from ..models.tasks import TaskState
from . import messaging
from .loading import load_workflow, store_workflow
from .locking import locked_instance
from .mirror import evaluate_due, event_definitions
from .step import advance


def dispatch():
    """One dispatcher tick: claim due timers, advance their instances, retry deliverable messages and
    unfinished signal broadcasts."""
    instance_ids = claim_due_timers()
    for instance_id in instance_ids:
        queue.enqueue(queue.ADVANCE_INSTANCE, str(instance_id))
    message_ids = deliverable_messages()
    for message_id in message_ids:
        queue.enqueue(queue.DELIVER_MESSAGE, str(message_id))
    signal_ids = undelivered_signals()
    for signal_id in signal_ids:
        queue.enqueue(queue.DELIVER_SIGNAL, str(signal_id))
    return {"instances": len(instance_ids), "messages": len(message_ids), "signals": len(signal_ids)}


def claim_due_timers(limit=500):
    """Claim due timers; returns the ids of the instances to advance."""
    now = clock.now()
    lease = now - timedelta(seconds=settings.ENGINE["TIMER_LEASE_SECONDS"])
    with transaction.atomic():
        rows = list(
            Timer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due_at__lt=now, instance__state__in=InstanceState.ACTIVE)
            .filter(Q(state=Timer.WAITING) | Q(state=Timer.CLAIMED, claimed_at__lt=lease))
            .order_by("due_at")
            .values_list("pk", "instance_id")[:limit]
        )
        Timer.objects.filter(pk__in=[pk for pk, _ in rows]).update(state=Timer.CLAIMED, claimed_at=now)
    return list(dict.fromkeys(instance_id for _, instance_id in rows))


def deliverable_messages(limit=500):
    """Pending messages some instance now waits for, or that start a process (a safety net for messages sent
    mid-step, and for deliveries that did not run)."""
    waited = Q(name__in=MessageSubscription.objects.filter(kind=MESSAGE).values("name")) | Q(
        name__in=messaging.start_message_names())
    return list(Message.objects.filter(waited, kind=MESSAGE, state=Message.PENDING)
                .order_by("sent_at").values_list("pk", flat=True)[:limit])


# A broadcast younger than this may still be running: the dispatcher leaves it alone.
SIGNAL_RETRY_SECONDS = 60


def undelivered_signals(limit=500):
    """Signals thrown whose broadcast did not finish (the worker stopped midway, or Redis was away)."""
    old = clock.now() - timedelta(seconds=SIGNAL_RETRY_SECONDS)
    return list(Message.objects.filter(kind=SIGNAL, state=Message.PENDING, sent_at__lt=old)
                .order_by("sent_at").values_list("pk", flat=True)[:limit])


def _china_year(moment):
    return moment.astimezone(clock.CHINA).year


def recompute_due_times(years):
    """After calendar years changed: recompute every pending due time whose period overlaps them.

    That covers every provisional due time of a year just loaded, and deadlines a
    corrected notice or a new regional holiday moves. Each due time is evaluated
    again as of the moment it was first computed, so `add_workdays(now(), 15)`
    counts from the same day, now on the new calendar. Returns how many moved.
    """
    first, last = min(years), max(years)

    def overlaps(start, due):
        return due is not None and _china_year(start) <= last and _china_year(due) >= first

    timers = [t for t in Timer.objects.all() if overlaps(t.armed_at, t.due_at)]
    tasks = [t for t in HumanTask.objects.filter(state__in=TaskState.ACTIVE, due_at__isnull=False)
             if overlaps(t.created_at, t.due_at)]
    moved = 0
    for instance_id in {t.instance_id for t in timers} | {t.instance_id for t in tasks}:
        with locked_instance(instance_id) as (instance, rows), audit.acting_as(None):
            workflow = load_workflow(instance)
            for row in [t for t in timers if t.instance_id == instance_id]:
                moved += _recompute_timer(instance, workflow, row, years)
            for row in [t for t in tasks if t.instance_id == instance_id]:
                moved += _recompute_task_due(instance, workflow, row, years)
            if instance.state in InstanceState.ACTIVE:
                advance(instance, workflow, rows)
            else:
                store_workflow(instance, workflow)
                instance.save(update_fields=["serialized", "serializer_version"])
    return moved


def _recompute_timer(instance, workflow, row, years):
    task = workflow.get_task_from_id(row.task_id)
    with clock.frozen_at(row.armed_at):
        spiff_private.forget_timer_due(task)
        spiff_private.update_task(task)
    value = next(d for d in event_definitions(task) if isinstance(d, TimerEventDefinition)).details(task).value
    due = datetime.fromisoformat(value)
    provisional = workcalendar.is_provisional_span(_china_year(row.armed_at), _china_year(due))
    if due == row.due_at and provisional == row.provisional:
        return 0
    audit.record("timer.recomputed", instance=instance, task_id=row.task_id,
                 data={"element": row.bpmn_id, "from": row.due_at.isoformat(), "to": due.isoformat(),
                       "years": list(years)})
    row.due_at, row.provisional = due, provisional
    row.save(update_fields=["due_at", "provisional"])
    return 1


def _recompute_task_due(instance, workflow, row, years):
    task = workflow.get_task_from_id(row.id)
    with clock.frozen_at(row.created_at):
        due, provisional = evaluate_due(workflow, task)
    if due == row.due_at and provisional == row.due_provisional:
        return 0
    audit.record("task.due_recomputed", instance=instance, task_id=row.id,
                 data={"from": row.due_at.isoformat(), "to": due.isoformat() if due else None,
                       "years": list(years)})
    row.due_at, row.due_provisional = due, provisional
    row.save(update_fields=["due_at", "due_provisional"])
    return 1
