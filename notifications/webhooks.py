"""Outbound webhooks: an audit event another system subscribed to becomes one signed delivery per subscription.

The body says what happened and to what, by ids, names and states, and carries no form data: a receiver that
needs more asks for it. Every string in it is cut to TEXT_CHARS, so a body stays a few kilobytes.
"""
import json
import time
from time import monotonic

from django.core.serializers.json import DjangoJSONEncoder

from engine.models import HumanTask

from . import http
from .models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from .outbox import Cancelled, Failed
from .signing import webhook_signature

# The audit action each event comes from.
ACTIONS = {
    "instance.started": WebhookEvent.INSTANCE_STARTED,
    "instance.complete": WebhookEvent.INSTANCE_COMPLETED,
    "instance.fail": WebhookEvent.INSTANCE_FAILED,
    "task.created": WebhookEvent.TASK_CREATED,
    "task.complete": WebhookEvent.TASK_COMPLETED,
    "message.delivered": WebhookEvent.MESSAGE_RECEIVED,
}
TEXT_CHARS = 300
RESPONSE_CHARS = 1000  # of an answer, kept in the delivery log


def _short(value):
    return value[:TEXT_CHARS] if isinstance(value, str) else value


def payload(event, name):
    """What a delivery of audit event `event` as webhook event `name` says."""
    body = {"event": name, "event_id": event.id, "occurred_at": event.at, "actor": _short(event.actor)}
    instance = event.instance
    if instance is not None:
        body["instance"] = {"id": str(instance.pk), "process": instance.version.definition.key,
                            "version": instance.version.number, "business_key": _short(instance.business_key)}
        if event.to_state and event.action.startswith("instance."):
            body["instance"]["state"] = event.to_state
        if event.action == "instance.fail":
            # A failure inside the workflow leaves its error on the instance only.
            body["instance"]["error"] = _short(event.data.get("error") or instance.error)
    if event.task_id and event.action.startswith("task."):
        task = HumanTask.objects.filter(pk=event.task_id).first()
        body["task"] = {"id": str(event.task_id)}
        if task is not None:
            body["task"].update(element=task.bpmn_id, name=_short(task.name), office=task.office,
                                due_at=task.due_at)
        if event.action == "task.complete":
            body["task"]["completed_by"] = _short(event.actor)
    if event.action == "message.delivered":
        body["message"] = {"id": event.data.get("message"), "name": _short(event.data.get("name")),
                           "element": _short(event.data.get("element"))}
    return body


def record(event):
    """Write a delivery of `event` for each active subscription to it; returns how many were new."""
    name = ACTIONS.get(event.action)
    if name is None:
        return 0
    subscriptions = [s for s in WebhookSubscription.objects.filter(active=True) if name in s.events]
    if not subscriptions:
        return 0
    body = json.dumps(payload(event, name), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    new = 0
    for subscription in subscriptions:
        _row, created = WebhookDelivery.objects.get_or_create(key=f"webhook:{subscription.pk}:{event.id}", defaults={
            "subscription": subscription, "event": name, "audit_event_id": event.id, "body": body})
        new += created
    return new


def send(delivery):
    """POST a delivery, signed now; every attempt goes into its log. Raises Failed unless answered 2xx."""
    subscription = delivery.subscription
    if not subscription.active:
        raise Cancelled("subscription inactive")
    body = delivery.body.encode()
    timestamp = str(int(time.time()))  # the real time: the receiver compares it with its own clock
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Shegong-Event": delivery.event,
               "X-Shegong-Delivery": delivery.key, "X-Shegong-Timestamp": timestamp,
               "X-Shegong-Signature": webhook_signature(subscription.secret, timestamp, body)}
    started = monotonic()
    status, answer, error = None, b"", ""
    try:
        status, answer = http.post(subscription.url, body, headers)
    except http.Unreachable as err:
        error = str(err)
    WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, status_code=status,
                                  error=error or ("" if 200 <= status < 300 else f"HTTP {status}"),
                                  milliseconds=int((monotonic() - started) * 1000))
    fields = {"status_code": status, "response": answer.decode(errors="ignore")[:RESPONSE_CHARS]}
    if status is None or not 200 <= status < 300:
        raise Failed(error or f"HTTP {status}", **fields)
    return fields
