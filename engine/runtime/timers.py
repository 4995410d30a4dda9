"""Finding due timers and handing their instances to the worker.

The dispatcher runs on Celery beat (or on a thread in the embedded mode). A tick first asks one
statement whether anything is due at all (`pending`): most ticks find nothing, and stop there. It
claims due timer rows in batches, each one UPDATE whose rows are chosen with FOR UPDATE SKIP LOCKED on
PostgreSQL (on SQLite the statement holds the database's write lock), so two dispatchers never claim the
same row, and hands the instances to the worker in chunks, one job a chunk. Delivery is at least once: a
claim whose advance never finished expires after the lease and is claimed again. Firing is idempotent
because the advance runs under the instance lock and SpiffWorkflow fires a timer task only once.
"""
from collections import namedtuple
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import Q
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .. import audit, clock, queue, spiff_private, workcalendar
from ..models import (CalendarDay, CalendarYear, DefinitionVersion, HumanTask, Message, MessageSubscription,
                      ProcessDefinition, ProcessInstance, TenantPin, Timer)
from ..models.messages import MESSAGE, SIGNAL
from ..models.instances import InstanceState
from ..models.tasks import TaskState
from . import messaging, schedules
from .loading import load_workflow, store_workflow
from .locking import locked_instance
from .mirror import evaluate_due, event_definitions
from .step import advance

CLAIM_BATCH = 500  # timer rows one claim takes
CLAIMS_PER_TICK = 5000  # at most, batch after batch
ADVANCE_CHUNK = 20  # instances one worker job advances, one step each
# A broadcast younger than this may still be running: the dispatcher leaves it alone.
SIGNAL_RETRY_SECONDS = 60
# Dead timer rows (a drain leaves two a timer: the claim's old version and the fired row) past which the first
# tick after the drain vacuums the table.
VACUUM_AFTER_DEAD_ROWS = 5000

Pending = namedtuple("Pending", "timers messages signals starts")

# What the last tick of this process learnt from the definitions and the calendar, kept until either changes:
# the names of the messages that start a process, and when the first timer start event occurrence falls due.
# And the timer table's dead rows: as the last tick counted them, and as the last vacuum here left them.
_known = {"fingerprint": None, "start_messages": (), "next_start": None, "dead_timers": 0, "left_dead": 0}


def forget():
    """Drop what the ticks of this process remember (tests roll back the rows it was learnt from)."""
    _known.update(fingerprint=None, start_messages=(), next_start=None, dead_timers=0, left_dead=0)


def _pins(vendor, table, pin):
    """Every row's id and pin in one string, in id order: any change of a pin changes it."""
    pairs = f"id || ':' || {pin}"
    if vendor == "postgresql":
        return f"(SELECT string_agg({pairs}, ',' ORDER BY id) FROM {table} WHERE {pin} IS NOT NULL)"
    return (f"(SELECT group_concat(pair, ',') FROM "
            f"(SELECT {pairs} AS pair FROM {table} WHERE {pin} IS NOT NULL ORDER BY id))")


@cache
def _pending_sql(vendor, start_messages):
    def table(model):
        return connection.ops.quote_name(model._meta.db_table)

    timer, instance, message = table(Timer), table(ProcessInstance), table(Message)
    active = ", ".join(f"'{state}'" for state in InstanceState.ACTIVE)
    due = (f"SELECT 1 FROM {timer} t JOIN {instance} i ON i.id = t.instance_id "
           f"WHERE t.due_at < %s AND i.state IN ({active}) AND ")
    starting = f"m.name IN ({', '.join(['%s'] * start_messages)}) OR " if start_messages else ""
    dead = f"pg_stat_get_dead_tuples('{Timer._meta.db_table}'::regclass)" if vendor == "postgresql" else "0"
    return f"""SELECT
        EXISTS ({due} t.state = '{Timer.WAITING}') OR EXISTS ({due} t.state = '{Timer.CLAIMED}' AND t.claimed_at < %s),
        EXISTS (SELECT 1 FROM {message} m WHERE m.kind = '{MESSAGE}' AND m.state = '{Message.PENDING}' AND ({starting}
            EXISTS (SELECT 1 FROM {table(MessageSubscription)} s WHERE s.kind = '{MESSAGE}' AND s.name = m.name))),
        EXISTS (SELECT 1 FROM {message} m WHERE m.kind = '{SIGNAL}' AND m.state = '{Message.PENDING}'
            AND m.sent_at < %s),
        {dead},
        (SELECT max(id) FROM {table(DefinitionVersion)}), (SELECT count(*) FROM {table(DefinitionVersion)}),
        {_pins(vendor, table(ProcessDefinition), "pinned_version_id")}, {_pins(vendor, table(TenantPin), "version_id")},
        (SELECT max(loaded_at) FROM {table(CalendarYear)}), (SELECT max(id) FROM {table(CalendarDay)})"""


def pending(now):
    """What a tick at `now` has to do, asked in one statement; a deployment, a pin (a tenant's too) or a calendar
    loaded since the last tick makes it do everything once, and learn again what it remembers."""
    adapt = connection.ops.adapt_datetimefield_value
    names = _known["start_messages"]
    with connection.cursor() as cursor:
        cursor.execute(_pending_sql(connection.vendor, len(names)), [
            adapt(now), adapt(now), adapt(now - _lease()), *names,
            adapt(now - timedelta(seconds=SIGNAL_RETRY_SECONDS))])
        timers, messages, signals, dead, *fingerprint = cursor.fetchone()
    _known.update(dead_timers=dead, left_dead=min(dead, _known["left_dead"]))  # lower once autovacuum ran
    if fingerprint != _known["fingerprint"]:
        # The next start is unknown until started_scheduled() learns it again, on the calendar as it is now
        # (this process may hold it from before another one loaded a year).
        workcalendar.invalidate()
        _known.update(fingerprint=fingerprint, start_messages=tuple(sorted(messaging.start_message_names())),
                      next_start=now)
        return Pending(True, True, True, True)
    next_start = _known["next_start"]
    return Pending(bool(timers), bool(messages), bool(signals), next_start is not None and next_start <= now)


def started_scheduled():
    """After a tick started what was due: remember when the next occurrence falls due."""
    _known["next_start"] = schedules.next_at()


def _lease():
    return timedelta(seconds=settings.ENGINE["TIMER_LEASE_SECONDS"])


def dispatch(work, now):
    """Claim due timers and hand their instances to the worker; hand it deliverable messages and unfinished
    signal broadcasts (what `work`, a Pending, says there is)."""
    if work.timers:
        instances = _hand_out_due_timers(now)
    else:
        instances = 0
        _vacuum_after_a_drain()
    # Without a worker (eager Celery) the advances ran here, and may have sent messages since `work` was asked.
    message_ids = deliverable_messages() if work.messages or instances else []
    for message_id in message_ids:
        queue.enqueue(queue.DELIVER_MESSAGE, str(message_id))
    signal_ids = undelivered_signals() if work.signals else []
    for signal_id in signal_ids:
        queue.enqueue(queue.DELIVER_SIGNAL, str(signal_id))
    return {"instances": instances, "messages": len(message_ids), "signals": len(signal_ids)}


def _hand_out_due_timers(now):
    """Claim due timers batch by batch, up to CLAIMS_PER_TICK, each batch handed out once it is claimed.
    Returns how many instances were handed out.

    While a claim has waited half its lease the workers are behind: more claims would wait in the queue
    past their lease and be claimed again, so the tick claims nothing until they catch up.
    """
    if Timer.objects.filter(state=Timer.CLAIMED, claimed_at__range=(now - _lease(), now - _lease() / 2)).exists():
        return 0
    handed, budget = 0, CLAIMS_PER_TICK
    while budget > 0:
        instance_ids = claim_due_timers(min(CLAIM_BATCH, budget), now)
        for first in range(0, len(instance_ids), ADVANCE_CHUNK):
            queue.enqueue(queue.ADVANCE_INSTANCES, [str(pk) for pk in instance_ids[first:first + ADVANCE_CHUNK]])
        handed += len(instance_ids)
        budget -= len(instance_ids)
        if len(instance_ids) < CLAIM_BATCH:
            return handed
    return handed


def _vacuum_after_a_drain():
    """Vacuum the timer table once the workers have fired what a drain claimed.

    Until a vacuum, every tick that finds nothing due walks the drained rows' index entries, or the rows
    themselves: after 100,000 timers, milliseconds a tick. Autovacuum comes to it too, up to a minute later.
    """
    if _known["dead_timers"] < _known["left_dead"] + VACUUM_AFTER_DEAD_ROWS or connection.in_atomic_block:
        return
    if Timer.objects.filter(state=Timer.CLAIMED).exists():
        return  # the workers are still firing: the rows they delete would be left for another vacuum
    table = connection.ops.quote_name(Timer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (SKIP_LOCKED) {table}")
        # What a transaction still open somewhere keeps: no vacuum again until as many more have died.
        cursor.execute("SELECT pg_stat_get_dead_tuples(%s::regclass)", [Timer._meta.db_table])
        _known["left_dead"] = cursor.fetchone()[0]


@cache
def _claim_sql(vendor, expired):
    def table(model):
        return connection.ops.quote_name(model._meta.db_table)

    active = ", ".join(f"'{state}'" for state in InstanceState.ACTIVE)
    state = f"t.state = '{Timer.CLAIMED}' AND t.claimed_at < %s" if expired else f"t.state = '{Timer.WAITING}'"
    locking = " FOR UPDATE OF t SKIP LOCKED" if vendor == "postgresql" else ""
    return f"""UPDATE {table(Timer)} SET state = '{Timer.CLAIMED}', claimed_at = %s WHERE id IN (
        SELECT t.id FROM {table(Timer)} t JOIN {table(ProcessInstance)} i ON i.id = t.instance_id
        WHERE {state} AND t.due_at < %s AND i.state IN ({active}) ORDER BY t.due_at LIMIT %s{locking})
        RETURNING instance_id"""


def claim_due_timers(limit=CLAIM_BATCH, now=None):
    """Claim at most `limit` due timers, waiting ones first, then those whose claim expired; returns the ids of
    the instances to advance. Each claim is one statement, so it commits on its own."""
    now = now or clock.now()
    adapt, rows = connection.ops.adapt_datetimefield_value, []
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(connection.vendor, False), [adapt(now), adapt(now), limit])
        rows += cursor.fetchall()
        if len(rows) < limit:
            cursor.execute(_claim_sql(connection.vendor, True),
                           [adapt(now), adapt(now - _lease()), adapt(now), limit - len(rows)])
            rows += cursor.fetchall()
    convert = ProcessInstance._meta.pk.to_python
    return list(dict.fromkeys(convert(instance_id) for instance_id, in rows))


def deliverable_messages(limit=500):
    """Pending messages some instance now waits for, or that start a process (a safety net for messages sent
    mid-step, and for deliveries that did not run)."""
    waited = Q(name__in=MessageSubscription.objects.filter(kind=MESSAGE).values("name")) | Q(
        name__in=messaging.start_message_names())
    return list(Message.objects.filter(waited, kind=MESSAGE, state=Message.PENDING)
                .order_by("sent_at").values_list("pk", flat=True)[:limit])


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
