"""BPMN behaviour through the engine: gateways, timers, messages, call activities, errors, services.

Every API call loads the instance from the database and stores it again, so
each test crosses a storage round trip at every wait state; tests that also
clear the spec cache prove the stored state alone is enough.
"""
from datetime import datetime, timedelta, timezone

import pytest

from engine import api
from engine.api import clock
from engine import services
from engine.errors import Conflict
from engine.models import AuditEvent, HumanTask, Message, MessageSubscription, Timer
from engine.runtime import loading
from engine.api import dispatch_due_timers

from .steps import move_clock_to, reload, run_at_once

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 China time


def open_tasks(instance):
    return {t.bpmn_id: t for t in HumanTask.objects.filter(instance=instance, state__in=["open", "claimed"])}


@pytest.fixture(autouse=True)
def monday():
    clock.set_time(MONDAY)


# Gateways

@pytest.mark.parametrize("elderly, children, services_run", [
    (3, 2, ["elder", "child"]), (3, 0, ["elder"]), (0, 0, ["none"]),
])
def test_parallel_and_inclusive_gateways(deploy_bpmn, elderly, children, services_run):
    deploy_bpmn("gateways.bpmn")
    instance = api.start("gateways", data={"elderly": elderly, "children": children}).instance
    instance = reload(instance)
    assert instance.state == "waiting"
    assert instance.data["a_done"] and instance.data["b_done"]
    # Parallel branches write separate variables; the joins merge them.
    assert sorted(k[:-len("_served")] for k in instance.data if k.endswith("_served")) == sorted(services_run)
    assert instance.current_elements == ["race"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # delivery runs after the sender's commit
def test_event_based_gateway_message_wins_and_cancels_the_timer(deploy_bpmn):
    deploy_bpmn("gateways.bpmn")
    instance = api.start("gateways", data={"elderly": 0, "children": 0}).instance
    assert Timer.objects.filter(instance=instance).count() == 1
    api.send_message("withdraw")
    instance = reload(instance)
    assert instance.state == "completed" and instance.data["outcome"] == "withdrawn"
    assert not Timer.objects.filter(instance=instance).exists()
    assert AuditEvent.objects.filter(instance=instance, action="timer.cancelled").count() == 1


def test_event_based_gateway_timer_wins(deploy_bpmn):
    deploy_bpmn("gateways.bpmn")
    instance = api.start("gateways", data={"elderly": 0, "children": 0}).instance
    move_clock_to(MONDAY + timedelta(days=4, hours=23))
    assert reload(instance).state == "waiting"
    move_clock_to(MONDAY + timedelta(days=5, minutes=1))
    instance = reload(instance)
    assert instance.state == "completed" and instance.data["outcome"] == "quiet"
    assert not MessageSubscription.objects.filter(instance=instance).exists()


# Timers

def test_working_day_boundary_timer_interrupts_and_escalates(deploy_bpmn, offices):
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-09-25", "county": "520102", "social_org": "org1"}).instance
    tasks = open_tasks(instance)
    # 15 working days after Friday 25 September 2026, across the National Day holiday (1-7 October)
    # and the make-up working days around it.
    due = Timer.objects.get(instance=instance, bpmn_id="late").due_at
    assert tasks["place_workers"].due_at == due
    assert due == datetime(2026, 10, 22, 16, 0, tzinfo=timezone.utc), "24:00 China time on 22 October"
    assert tasks["place_workers"].office == "org1"
    move_clock_to(due - timedelta(minutes=1))
    assert "escalate" not in open_tasks(instance)
    move_clock_to(due + timedelta(seconds=1))
    tasks = open_tasks(instance)
    assert "escalate" in tasks and tasks["escalate"].office == "520102"
    assert "place_workers" not in tasks
    assert HumanTask.objects.get(instance=instance, bpmn_id="place_workers").state == "cancelled"
    assert AuditEvent.objects.filter(instance=instance, action="timer.fired",
                                     data__element="late").count() == 1


def test_non_interrupting_cycle_timer_reminds_twice_and_keeps_the_task(deploy_bpmn, offices):
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-09-25", "county": "520102", "social_org": "org1"}).instance
    for day in (1, 2, 3):
        move_clock_to(MONDAY + timedelta(days=day, minutes=1))
    reminders = HumanTask.objects.filter(instance=instance, bpmn_id="remind_read")
    assert reminders.count() == 2, "R2 means two repetitions"
    assert "place_workers" in open_tasks(instance)


def test_duration_timer_after_task_and_overdue_fire_once_after_downtime(deploy_bpmn, offices):
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-03-02", "county": "520102", "social_org": "org1"}).instance
    api.complete_task(open_tasks(instance)["place_workers"].id, {}, actor=offices["org1"])
    settle = Timer.objects.get(instance=instance, bpmn_id="settle")
    assert settle.due_at == MONDAY + timedelta(days=2)
    # The dispatcher was down for a week: the overdue timer fires once on the first tick.
    result = move_clock_to(MONDAY + timedelta(days=9))
    assert result["instances"] == 1
    assert reload(instance).state == "completed"
    assert move_clock_to(MONDAY + timedelta(days=10))["instances"] == 0
    assert AuditEvent.objects.filter(instance=instance, action="timer.fired", data__element="settle").count() == 1


def test_a_timer_fires_once_when_two_advances_see_it(deploy_bpmn, offices):
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-03-02", "county": "520102", "social_org": "org1"}).instance
    api.complete_task(open_tasks(instance)["place_workers"].id, {}, actor=offices["org1"])
    clock.set_time(MONDAY + timedelta(days=3))
    api.advance_instance(instance.id)
    api.advance_instance(instance.id)  # a redelivered task
    assert AuditEvent.objects.filter(instance=instance, action="timer.fired", data__element="settle").count() == 1
    assert reload(instance).state == "completed"


def test_suspended_instances_fire_their_timers_on_resume(deploy_bpmn, offices):
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-03-02", "county": "520102", "social_org": "org1"}).instance
    api.complete_task(open_tasks(instance)["place_workers"].id, {}, actor=offices["org1"])
    api.suspend(instance.id, reason="audit")
    assert move_clock_to(MONDAY + timedelta(days=3))["instances"] == 0
    assert reload(instance).state == "suspended"
    api.resume(instance.id)
    assert reload(instance).state == "completed"


# Messages

@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # delivery runs after the sender's commit
def test_message_between_instances_is_correlated_and_buffered(deploy_bpmn):
    deploy_bpmn("award.bpmn")
    # The award for 520302 is sent before its county instance waits: it is kept.
    api.start("procurement", data={"lot_county": "520302", "winner": "org1", "amount": 1})
    county_a = api.start("county_cycle", data={"county": "520102"}).instance
    api.start("procurement", data={"lot_county": "520102", "winner": "org2", "amount": 2})
    county_b = api.start("county_cycle", data={"county": "520302"}).instance
    county_a, county_b = reload(county_a), reload(county_b)
    assert county_a.state == county_b.state == "completed"
    assert county_a.data["winner"] == "org2" and county_a.data["award"]["county"] == "520102"
    assert county_b.data["winner"] == "org1"
    assert Message.objects.filter(state="delivered").count() == 2
    delivered = AuditEvent.objects.filter(action="message.delivered", instance=county_b).get()
    assert delivered.data["element"] == "wait_award"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # delivery runs after the sender's commit
def test_message_for_nobody_stays_pending_until_someone_waits(deploy_bpmn):
    deploy_bpmn("award.bpmn")
    message = api.send_message("award", {"county": "999999"}, {"county": "999999", "winner": "x", "amount": 0})
    message.refresh_from_db()
    assert message.state == "pending"
    waiting = api.start("county_cycle", data={"county": "520102"}).instance
    assert reload(waiting).state == "waiting"
    assert Message.objects.get(pk=message.pk).state == "pending"
    later = api.start("county_cycle", data={"county": "999999"}).instance
    assert reload(later).state == "completed"


def test_messages_are_delivered_by_the_dispatcher_when_first_delivery_missed(deploy_bpmn):
    deploy_bpmn("award.bpmn")
    waiting = api.start("county_cycle", data={"county": "520102"}).instance
    # A message row left pending (as when a sender committed while the receiver was mid-step).
    Message.objects.create(name="award", correlation={"county": "520102"},
                           payload={"county": "520102", "winner": "org9", "amount": 3}, sender="test")
    assert dispatch_due_timers()["messages"] == 1
    assert reload(waiting).data["winner"] == "org9"


# Call activities and multi-instance

def test_call_activity_multi_instance_with_storage_round_trips(deploy_bpmn, offices):
    deploy_bpmn("station_service.bpmn")
    deploy_bpmn("stations.bpmn")
    instance = api.start("stations", data={"station_codes": ["st1", "st2", "st3"], "social_org": "org1"}).instance
    tasks = HumanTask.objects.filter(instance=instance, bpmn_id="monthly_report", state="open")
    assert tasks.count() == 3
    for visits, task in enumerate(tasks, start=1):
        loading._cache.clear()
        api.complete_task(task.id, {"visits": visits}, actor=offices["org1"])
    instance = reload(instance)
    assert instance.state == "completed"
    assert sorted(r["station"] for r in instance.data["reports"]) == ["st1", "st2", "st3"]


# Errors and escalations

@pytest.mark.parametrize("data, expected", [
    ({"amount": 10, "budget": 5, "late": False}, {"outcome": "over budget"}),
    ({"amount": 1, "budget": 5, "late": True}, {"escalated": True}),
    ({"amount": 1, "budget": 5, "late": False}, {}),
])
def test_error_and_escalation_events(deploy_bpmn, data, expected):
    deploy_bpmn("incidents.bpmn")
    instance = reload(api.start("incidents", data=data).instance)
    assert instance.state == "completed"
    for key, value in expected.items():
        assert instance.data.get(key) == value
    if not expected:
        assert "outcome" not in instance.data and "escalated" not in instance.data


# Service tasks and failures

calls = []


@services.service("test.budget_lookup")
def budget_lookup(call):
    calls.append(call.params)
    if call.params["county"] == "broken":
        raise ConnectionError("budget system unreachable")
    return {"total": 600000, "county": call.params["county"]}


def test_service_task_result_goes_into_data(deploy_bpmn):
    deploy_bpmn("service.bpmn")
    instance = reload(api.start("service", data={"county": "520102", "stations": 3}).instance)
    assert instance.state == "completed"
    assert instance.data["budget_info"] == {"total": 600000, "county": "520102"}
    assert instance.data["share"] == 200000


def test_failing_script_fails_the_instance_cleanly_and_retry_resumes(deploy_bpmn):
    deploy_bpmn("service.bpmn")
    instance = reload(api.start("service", data={"county": "520102", "stations": 0}).instance)
    assert instance.state == "failed"
    assert instance.error_element == "compute"
    assert "ZeroDivisionError" in instance.error
    assert "touched" not in instance.data, "a failing script leaves no half of its changes"
    assert instance.data["budget_info"]["total"] == 600000, "what ran before the failure is kept"
    with pytest.raises(Conflict, match="不能恢复"):
        api.resume(instance.id)
    # Data cannot be fixed through the retry API; the script's failure repeats, then a fixed version would run.
    instance = reload(api.retry(instance.id, actor="operator", reason="retry").instance)
    assert instance.state == "failed"
    actions = list(AuditEvent.objects.filter(instance=instance).values_list("action", flat=True))
    assert actions.count("instance.fail") == 2 and "instance.retry" in actions


def test_failing_service_then_retry_succeeds(deploy_bpmn):
    deploy_bpmn("service.bpmn")
    instance = reload(api.start("service", data={"county": "broken", "stations": 2}).instance)
    assert instance.state == "failed" and instance.error_element == "lookup"
    assert "budget system unreachable" in instance.error
    # The outside system is back: the handler now answers for this county.
    services._handlers["test.budget_lookup"] = lambda call: {"total": 10, "county": "broken"}
    try:
        instance = reload(api.retry(instance.id).instance)
    finally:
        services._handlers["test.budget_lookup"] = budget_lookup
    assert instance.state == "completed" and instance.data["share"] == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_never_claim_the_same_timer(deploy_bpmn, offices):
    import threading

    from django.db import connection

    from engine.runtime.timers import claim_due_timers

    deploy_bpmn("gateways.bpmn")
    instances = {api.start("gateways", data={"elderly": 0, "children": 0}).instance.pk for _ in range(12)}
    clock.set_time(MONDAY + timedelta(days=6))
    barrier = threading.Barrier(2)
    claimed = []

    def dispatcher():
        try:
            barrier.wait()
            claimed.append(claim_due_timers(limit=100))
        finally:
            connection.close()

    run_at_once(dispatcher, dispatcher)
    first, second = (set(c) for c in claimed)
    assert not first & second, "a timer row is claimed by one dispatcher only"
    assert first | second == instances
    assert claim_due_timers() == [], "claimed rows are not handed out again within the lease"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_outside_message_without_the_correlation_in_its_payload_still_arrives(deploy_bpmn):
    deploy_bpmn("award.bpmn")
    waiting = api.start("county_cycle", data={"county": "520102"}).instance
    api.send_message("award", {"county": "520102"}, {"winner": "org7"})
    waiting = reload(waiting)
    assert waiting.state == "completed" and waiting.data["winner"] == "org7"
