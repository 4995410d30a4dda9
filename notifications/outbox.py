"""Sending outbox rows (models.Outbound) at least once and, short of a sender dying mid-send, once.

A tick claims due rows with SELECT ... FOR UPDATE SKIP LOCKED (as the engine claims timers), counting the
attempt and growing the row's claim number, and hands each to a job. The job sends only while its claim
stands and records the result under it: sent, or tried again after a pause that doubles with each attempt
(RETRY_SECONDS up to RETRY_MAX_SECONDS), until MAX_ATTEMPTS have failed. A claim whose job never reported
(a worker lost) expires after LEASE_SECONDS, far longer than one send may take, and is claimed again.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from engine.api import clock

from .models import OutboundState

log = logging.getLogger(__name__)
ERROR_CHARS = 2000


class Failed(Exception):
    """Sending did not succeed this time; `fields` are recorded on the row all the same."""

    def __init__(self, message, **fields):
        super().__init__(message)
        self.fields = fields


class Cancelled(Exception):
    """The row must not be sent any more (its channel was switched off, its subscription ended)."""


def backoff(attempts):
    conf = settings.NOTIFICATIONS
    return timedelta(seconds=min(conf["RETRY_SECONDS"] * 2 ** max(attempts - 1, 0), conf["RETRY_MAX_SECONDS"]))


def claim_due(model, limit=100, now=None):
    """Claim up to `limit` rows of `model` due for an attempt; returns [(pk, claim)] to hand to jobs."""
    now = now or clock.now()
    conf = settings.NOTIFICATIONS
    expired = now - timedelta(seconds=conf["LEASE_SECONDS"])
    with transaction.atomic():
        rows = list(model.objects.select_for_update(skip_locked=True)
                    .filter(Q(state=OutboundState.PENDING, next_attempt_at__lte=now)
                            | Q(state=OutboundState.SENDING, claimed_at__lt=expired))
                    .order_by("next_attempt_at", "id").values_list("pk", "claim", "attempts")[:limit])
        spent = [pk for pk, _claim, attempts in rows if attempts >= conf["MAX_ATTEMPTS"]]
        model.objects.filter(pk__in=spent).update(state=OutboundState.FAILED, claimed_at=None,
                                                  last_error="sender lost on the last attempt")
        claimed = [(pk, claim + 1) for pk, claim, _attempts in rows if pk not in spent]
        model.objects.filter(pk__in=[pk for pk, _claim in claimed]).update(
            state=OutboundState.SENDING, claimed_at=now, claim=F("claim") + 1, attempts=F("attempts") + 1)
    return claimed


def run(model, pk, claim, send):
    """Send row `pk` with `send(row)` if claim `claim` still stands, and record how it went; returns the row's
    new state, or None when the claim was gone. `send` returns fields to record, or raises Failed/Cancelled."""
    row = model.objects.filter(pk=pk, claim=claim, state=OutboundState.SENDING).first()
    if row is None:
        return None
    try:
        result = {"state": OutboundState.SENT, "sent_at": clock.now(), "last_error": "", **(send(row) or {})}
    except Cancelled as err:
        result = {"state": OutboundState.CANCELLED, "last_error": str(err)[:ERROR_CHARS]}
    except Exception as err:  # noqa: BLE001 - whatever went wrong, the row is tried again later
        if not isinstance(err, Failed):
            log.exception("sending %s %s failed", model.__name__, pk)
        last = row.attempts >= settings.NOTIFICATIONS["MAX_ATTEMPTS"]
        result = {"state": OutboundState.FAILED if last else OutboundState.PENDING,
                  "next_attempt_at": clock.now() + backoff(row.attempts), "last_error": str(err)[:ERROR_CHARS],
                  **getattr(err, "fields", {})}
    model.objects.filter(pk=pk, claim=claim, state=OutboundState.SENDING).update(claimed_at=None, **result)
    return result["state"]


def retry(rows):
    """Send failed or cancelled rows (a QuerySet) again now, with their attempts counted afresh; returns how
    many."""
    return rows.filter(state__in=[OutboundState.FAILED, OutboundState.CANCELLED]).update(
        state=OutboundState.PENDING, attempts=0, next_attempt_at=clock.now())
