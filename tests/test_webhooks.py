"""Outbound webhooks to a local HTTP server: signed deliveries of the events a subscription names, kept until
the receiver takes them (once each), with every attempt in the delivery log; bounded in time and size."""
import hashlib
import hmac
import time
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engine import api
from engine.api import clock, dispatch_due_timers
from engine.models import HumanTask
from notifications.jobs import scan, send_webhook, tick
from notifications.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from notifications.outbox import claim_due

from .receivers import HTTPReceiver, slow, trickling
from .test_incidents import AFTER_A_TIMER

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)


@pytest.fixture
def receiver():
    server = HTTPReceiver(default=(200, b"ok"))
    server.start()
    yield server
    if server.server is not None:
        server.stop()


def subscribe(url, events="all"):
    out = StringIO()
    call_command("webhooks", "add", "erp", url, "--events", events, stdout=out)
    return out.getvalue().split("secret: ")[1].strip()


def verified(request, secret):
    """What a receiver does: the signature over timestamp "." body, with the secret, and a fresh timestamp."""
    headers = request["headers"]
    timestamp = headers["X-Shegong-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return (hmac.compare_digest(headers["X-Shegong-Signature"], f"sha256={expected}")
            and abs(time.time() - int(timestamp)) < 300)


def test_each_subscribed_event_is_delivered_once_signed(offices, deploy_bpmn, receiver):
    clock.set_time(MONDAY)
    secret = subscribe(f"{receiver.url}/hooks/shegong")
    deploy_bpmn("office_work.bpmn", "message_loop.bpmn")
    api.deploy({"after_a_timer.bpmn": AFTER_A_TIMER.replace("SCRIPT", "total = 1 / 0")})
    started = api.start("county_work", data={"county": "520102"}, business_key="county-2026-520102").instance
    task = HumanTask.objects.get(instance=started)
    api.complete_task(task.pk, {}, actor=offices["520102"])
    listening = api.start("message_loop", data={"year": 2027, "closes_at": "2026-04-01T00:00:00+08:00"}).instance
    api.send_message("note", {"year": 2027}, {"n": 1})
    failing = api.start("after_a_timer").instance
    clock.advance(timedelta(hours=2))
    dispatch_due_timers()
    tick()

    bodies = receiver.json_bodies()
    assert all(verified(r, secret) for r in receiver.requests)
    assert all(r["path"] == "/hooks/shegong" for r in receiver.requests)
    assert all(r["headers"]["X-Shegong-Event"] == b["event"] for r, b in zip(receiver.requests, bodies))
    county = [b["event"] for b in bodies if b.get("instance", {}).get("id") == str(started.pk)]
    assert county == ["instance.started", "task.created", "task.completed", "instance.completed"]
    created = next(b for b in bodies if b["event"] == "task.created" and b["instance"]["id"] == str(started.pk))
    assert created["instance"] == {"id": str(started.pk), "process": "county_work", "version": 1,
                                   "business_key": "county-2026-520102"}
    assert created["task"] == {"id": str(task.pk), "element": "county_task", "name": "县级办理", "office": "520102",
                               "due_at": None}
    completed = next(b for b in bodies if b["event"] == "task.completed")
    assert completed["actor"] == "520102" and completed["task"]["completed_by"] == "520102"
    assert "data" not in completed["task"], "no form data leaves the system"
    [received] = [b for b in bodies if b["event"] == "message.received"]
    assert received["instance"]["id"] == str(listening.pk) and received["message"]["name"] == "note"
    [failed] = [b for b in bodies if b["event"] == "instance.failed"]
    assert failed["instance"]["id"] == str(failing.pk) and "division by zero" in failed["instance"]["error"]

    deliveries = {r["headers"]["X-Shegong-Delivery"] for r in receiver.requests}
    assert len(deliveries) == len(receiver.requests) == WebhookDelivery.objects.count()
    assert set(WebhookDelivery.objects.values_list("state", "status_code")) == {("sent", 200)}
    clock.advance(timedelta(hours=1))
    tick()
    assert len(receiver.requests) == len(deliveries), "nothing delivered twice"


def test_only_the_events_named_are_delivered(offices, deploy_bpmn, receiver):
    subscribe(receiver.url, "task.completed,instance.completed")
    deploy_bpmn("office_work.bpmn")
    instance = api.start("county_work", data={"county": "520102"}).instance
    tick()
    assert receiver.requests == []
    api.complete_task(HumanTask.objects.get(instance=instance).pk, {}, actor=offices["520102"])
    tick()
    assert [b["event"] for b in receiver.json_bodies()] == ["task.completed", "instance.completed"]


def test_deliveries_wait_while_the_receiver_is_down_and_arrive_once_when_it_is_back(offices, deploy_bpmn,
                                                                                       receiver, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "RETRY_SECONDS": 10, "RETRY_MAX_SECONDS": 80}
    clock.set_time(MONDAY)
    secret = subscribe(receiver.url, "instance.started,task.created")
    deploy_bpmn("office_work.bpmn")
    receiver.stop()
    for n in range(3):
        api.start("county_work", data={"county": "520102"}, business_key=f"k{n}")
    tick()  # refused
    receiver.start()
    receiver.answers = [(500, b"down for maintenance")] * 6 + [(503, b"x" * 100_000)] * 6
    for _ in range(2):  # server errors
        clock.advance(timedelta(seconds=81))
        tick()
    assert WebhookDelivery.objects.filter(state="pending").count() == 6
    clock.advance(timedelta(seconds=81))
    tick()
    assert set(WebhookDelivery.objects.values_list("state", "attempts", "status_code")) == {("sent", 4, 200)}
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        tick()
    ok = [r for r in receiver.requests if verified(r, secret)]
    assert len(ok) == len(receiver.requests) == 6 * 3
    delivered = [r["headers"]["X-Shegong-Delivery"] for r in receiver.requests[-6:]]
    assert sorted(delivered) == sorted(WebhookDelivery.objects.values_list("key", flat=True)), \
        "every delivery arrived, once, after the receiver was back"
    log = WebhookAttempt.objects.filter(delivery=WebhookDelivery.objects.first()).order_by("number")
    assert [(a.number, a.status_code) for a in log] == [(1, None), (2, 500), (3, 503), (4, 200)]
    assert "Refused" in log[0].error and log[1].error == "HTTP 500"


def test_a_slow_receiver_times_out_and_a_long_answer_is_read_in_part(offices, deploy_bpmn, receiver, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "HTTP_TIMEOUT": 0.5, "MAX_RESPONSE_BYTES": 1000}
    subscribe(receiver.url, "instance.started")
    deploy_bpmn("office_work.bpmn")
    receiver.answers = [slow(3), (200, "答".encode() * 500_000), trickling(10)]
    for n in range(3):
        api.start("county_work", data={"county": "520102"}, business_key=f"k{n}")
        began = time.monotonic()
        tick()
        assert time.monotonic() - began < 2.5, "no more than twice the timeout per delivery"
    first, second, third = WebhookDelivery.objects.order_by("id")
    assert (first.state, first.status_code) == ("pending", None) and "timed out" in first.last_error
    assert (second.state, second.status_code) == ("sent", 200) and second.response == "答" * 333
    assert (third.state, third.status_code) == ("sent", 200) and 0 < len(third.response) <= 1000


def test_an_inactive_subscription_gets_nothing_more(offices, deploy_bpmn, receiver):
    subscribe(receiver.url)
    deploy_bpmn("office_work.bpmn")
    receiver.stop()
    api.start("county_work", data={"county": "520102"})
    tick()
    WebhookSubscription.objects.update(active=False)
    receiver.start()
    clock.advance(timedelta(hours=1))
    tick()
    api.start("county_work", data={"county": "520102"})
    tick()
    assert receiver.requests == []
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"cancelled"}


def test_the_command_adds_lists_and_removes_subscriptions(db, receiver):
    with pytest.raises(CommandError, match="unknown events task.claimed"):
        call_command("webhooks", "add", "erp", receiver.url, "--events", "task.claimed")
    with pytest.raises(CommandError, match="not an http"):
        call_command("webhooks", "add", "erp", "ftp://x.example/", "--events", "all")
    out = StringIO()
    call_command("webhooks", "add", "erp", receiver.url, "--events", "task.created", "--secret", "s3", stdout=out)
    assert out.getvalue() == "subscribed erp to task.created\nsecret: s3\n"
    out = StringIO()
    call_command("webhooks", "list", stdout=out)
    assert out.getvalue() == f"erp\t{receiver.url}\ttask.created\tactive\tno deliveries\n"
    call_command("webhooks", "remove", "erp", stdout=StringIO())
    assert not WebhookSubscription.objects.exists()


def test_the_admin_lists_deliveries_with_their_attempts_and_sends_failed_ones_again(
        admin_client, offices, deploy_bpmn, receiver, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 1}
    subscribe(receiver.url, "instance.started")
    deploy_bpmn("office_work.bpmn")
    receiver.answers = [(502, b"bad gateway")]
    api.start("county_work", data={"county": "520102"})
    tick()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.status_code) == ("failed", 502)
    listing = admin_client.get("/admin/notifications/webhookdelivery/").content.decode()
    assert "instance.started" in listing and "502" in listing
    page = admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "bad gateway" in page and "HTTP 502" in page
    admin_client.post("/admin/notifications/webhookdelivery/", {
        "action": "send_again", "_selected_action": [delivery.pk]})
    tick()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.status_code, delivery.attempts) == ("sent", 200, 1)
    assert admin_client.get("/admin/notifications/webhooksubscription/add/").status_code == 200


def test_a_delivery_whose_sender_vanished_is_claimed_again_after_the_lease_and_sent_once(
        offices, deploy_bpmn, receiver, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "LEASE_SECONDS": 120}
    clock.set_time(MONDAY)
    subscribe(receiver.url, "instance.started")
    deploy_bpmn("office_work.bpmn")
    api.start("county_work", data={"county": "520102"})
    scan()
    [lost] = claim_due(WebhookDelivery)  # a worker took it and was lost before it sent
    tick()
    assert receiver.requests == [], "claimed: not sent again while its lease runs"
    clock.advance(timedelta(seconds=121))
    tick()
    assert send_webhook(*lost) is None, "the lost worker, back late, finds its claim gone"
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.claim) == ("sent", 2, 2)
