"""Reading the audit trail once, in id order, from where the last reading stopped.

On PostgreSQL an id is taken when a row is inserted but seen only when its transaction commits, so a step
still running can commit a lower id after a higher one was read. The ids skipped over are kept as gaps and
read again until they appear or are older than GAP_SECONDS, longer than any step may run (a rolled-back
step's ids never appear). Every event is handled with an idempotency key, so reading one twice is harmless.
"""
import time

from django.db import transaction

from engine.models import AuditEvent

from .models import EventCursor

NAME = "audit"
GAP_SECONDS = 900  # beyond JOB_TIME_LIMIT (default 360 s), the longest a step runs before it is interrupted
MAX_GAPS = 1000  # the newest kept: a gap is an in-flight step, and hardly a thousand run at once


def locked():
    """The cursor, locked for this transaction; None when another reader holds it (it reads for both)."""
    cursor = EventCursor.objects.select_for_update(skip_locked=True).filter(name=NAME).first()
    if cursor is not None:
        return cursor
    if EventCursor.objects.filter(name=NAME).exists():
        return None
    with transaction.atomic():  # a savepoint: another reader may create it at the same moment
        cursor, _ = EventCursor.objects.get_or_create(name=NAME)
    return EventCursor.objects.select_for_update(skip_locked=True).filter(pk=cursor.pk).first()


def read(cursor, limit=500):
    """The events after the cursor and in its gaps, oldest id first (at most `limit`); moves the cursor past
    them and saves it. Call inside the transaction that locked it and handles the events."""
    now = time.time()  # the real time: gaps are about transactions, not the engine's (possibly simulated) clock
    gaps = {int(gap_id): seen for gap_id, seen in cursor.gaps if now - seen < GAP_SECONDS}
    events = list(AuditEvent.objects.filter(id__gt=cursor.position).order_by("id")[:limit])
    if gaps:
        events = sorted(list(AuditEvent.objects.filter(id__in=list(gaps))) + events, key=lambda e: e.id)
    found = {event.id for event in events}
    if any(event.id > cursor.position for event in events):
        end = max(found)
        missed = range(cursor.position + 1, end)
        # A range this long is rollbacks or a reset sequence: only the newest ids may still arrive.
        for gap_id in missed[-MAX_GAPS:]:
            if gap_id not in found:
                gaps.setdefault(gap_id, now)
        cursor.position = end
    for gap_id in found:
        gaps.pop(gap_id, None)
    cursor.gaps = [[gap_id, gaps[gap_id]] for gap_id in sorted(gaps)[-MAX_GAPS:]]
    cursor.save(update_fields=["position", "gaps"])
    return events
