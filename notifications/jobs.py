"""Celery jobs: the tick (on beat, or on the embedded dispatcher's thread) and the sends it hands out."""
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import translation

from . import channels, cursor, events, notices, outbox, reminders, webhooks
from .models import OutboxMessage, WebhookDelivery

log = logging.getLogger(__name__)

TICK = "notifications.jobs.tick"
SEND_MESSAGE = "notifications.jobs.send_message"
SEND_WEBHOOK = "notifications.jobs.send_webhook"


def _part(name, function):
    """Run one part of the scan in a savepoint: a part that fails is logged, and the others go on."""
    try:
        with transaction.atomic():
            return function()
    except Exception:  # noqa: BLE001 - retried at the next tick
        log.exception("notifications: %s failed", name)
        return None


def scan():
    """Turn new audit events, due dates and the day's digests into outbox rows; returns what it did, or None
    when another scan is running (it does the work)."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        reading = cursor.locked()
        if reading is None:
            return None
        return {"events": _part("events", lambda: events.handle(cursor.read(reading))),
                "reminders": _part("reminders", reminders.scan), "digests": _part("digests", notices.make_digests)}


@shared_task(name=TICK)
def tick():
    """Scan, then hand every outbox row due for an attempt to a send job. Returns what it did."""
    done = scan() or {}
    messages = outbox.claim_due(OutboxMessage)
    for pk, claim in messages:
        send_message.delay(pk, claim)
    deliveries = outbox.claim_due(WebhookDelivery)
    for pk, claim in deliveries:
        send_webhook.delay(pk, claim)
    return {**done, "messages": len(messages), "deliveries": len(deliveries)}


@shared_task(name=SEND_MESSAGE, acks_late=True)
def send_message(pk, claim):
    return outbox.run(OutboxMessage, pk, claim, channels.send)


@shared_task(name=SEND_WEBHOOK, acks_late=True)
def send_webhook(pk, claim):
    return outbox.run(WebhookDelivery, pk, claim, webhooks.send)
