"""The dispatcher at volume: dispatchers ticking together fire each due timer once, a tick that finds nothing
due asks the database one statement, and a worker keeps its database connection from one advance job to the next."""
import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from engine import api
from engine.api import clock, dispatch_due_timers
from engine.models import AuditEvent, DefinitionVersion, ProcessDefinition, ProcessInstance, Timer
from engine.runtime import timers

from . import test_celery_worker
from .steps import china, run_at_once

worker = test_celery_worker.worker  # a real Celery worker process, through Redis


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_ticking_together_fire_each_due_timer_once(deploy_bpmn, monkeypatch):
    # Small claims and chunks, so the two dispatchers take turns many times over the same rows.
    monkeypatch.setattr(timers, "CLAIM_BATCH", 7)
    monkeypatch.setattr(timers, "ADVANCE_CHUNK", 3)
    deploy_bpmn("quick_timer.bpmn")
    clock.set_time(china(2026, 3, 2, 9))
    started = {api.start("quick_timer", f"t-{i}").instance.pk for i in range(80)}
    clock.set_time(china(2026, 3, 2, 10))
    barrier = threading.Barrier(2)
    handed, errors = [], []

    def dispatcher():
        try:
            barrier.wait()
            while True:  # the advances run in this thread (eager Celery), as the embedded dispatcher's do
                tick = dispatch_due_timers()
                handed.append(tick["instances"])
                if not tick["instances"]:
                    return
        except Exception as err:  # noqa: BLE001 - reported by the test's thread, not lost in this one
            errors.append(err)
        finally:
            connection.close()

    run_at_once(dispatcher, dispatcher)
    assert not errors
    fired = list(AuditEvent.objects.filter(action="timer.fired").values_list("task_id", flat=True))
    assert len(fired) == len(set(fired)) == len(started), "every timer fired, none twice"
    assert not Timer.objects.exists()
    assert set(ProcessInstance.objects.filter(state="completed").values_list("pk", flat=True)) == started
    assert sum(handed) == len(started), "no instance was handed out twice"


def test_a_tick_that_finds_nothing_due_asks_one_statement(deploy_bpmn, offices, django_assert_num_queries):
    deploy_bpmn("quick_timer.bpmn", "timer_start.bpmn")
    clock.set_time(china(2026, 3, 2, 9))
    api.start("quick_timer")
    dispatch_due_timers()  # the first tick learns the definitions and the next timer start occurrence
    with django_assert_num_queries(1):
        assert dispatch_due_timers() == {"instances": 0, "messages": 0, "signals": 0, "started": 0}
    clock.advance(timedelta(minutes=1))
    assert dispatch_due_timers()["instances"] == 1


def test_a_tick_notices_a_timer_start_event_deployed_after_it_ran(deploy_bpmn, offices):
    clock.set_time(china(2025, 12, 1))
    deploy_bpmn("quick_timer.bpmn")
    assert dispatch_due_timers()["started"] == 0
    deploy_bpmn("timer_start.bpmn")  # yearly, from 1 January 2026
    clock.set_time(china(2026, 1, 4, 9, 1))  # the first working day of 2026 is Sunday 4 January
    assert dispatch_due_timers()["started"] == 2
    assert dispatch_due_timers()["started"] == 0


def test_a_claim_waiting_half_its_lease_stops_further_claims_until_it_expires(deploy_bpmn, settings):
    settings.ENGINE = {**settings.ENGINE, "TIMER_LEASE_SECONDS": 60}
    deploy_bpmn("quick_timer.bpmn")
    clock.set_time(china(2026, 3, 2, 9))
    first = api.start("quick_timer", "first").instance
    clock.set_time(china(2026, 3, 2, 10))
    assert timers.claim_due_timers() == [first.pk]  # its advance never runs: the worker is behind, or lost it
    second = api.start("quick_timer", "second").instance
    clock.advance(timedelta(seconds=31))
    assert dispatch_due_timers()["instances"] == 0, "the workers are behind: nothing more is claimed"
    clock.advance(timedelta(seconds=30))
    assert dispatch_due_timers()["instances"] == 2, "the expired claim is claimed again, with the new timer"
    assert {i.state for i in ProcessInstance.objects.filter(pk__in=[first.pk, second.pk])} == {"completed"}


def _process(key, label):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="{key}" name="{label}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>a</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_tick_notices_two_pin_changes_that_would_cancel_out_in_a_sum(db):
    for key in ("pin_a", "pin_b"):
        for label in ("first", "second"):
            api.deploy({f"{key}.bpmn": _process(key, label)})
    (a1, a2), (b1, b2) = (list(DefinitionVersion.objects.filter(definition__key=key).order_by("id"))
                          for key in ("pin_a", "pin_b"))
    assert a2.pk - a1.pk == b2.pk - b1.pk, "the moves below keep the sum of the pinned ids"
    ProcessDefinition.objects.filter(key="pin_a").update(pinned_version=a2)
    ProcessDefinition.objects.filter(key="pin_b").update(pinned_version=b1)
    now = clock.now()
    timers.pending(now)  # learns the definitions, as a tick does
    timers.started_scheduled()
    assert timers.pending(now) == (False, False, False, False), "nothing changed since the last tick"
    ProcessDefinition.objects.filter(key="pin_a").update(pinned_version=a1)
    ProcessDefinition.objects.filter(key="pin_b").update(pinned_version=b2)
    assert timers.pending(now) == (True, True, True, True), "the pins moved: the tick learns them again"


def _vacuums():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_vacuum_count(%s::regclass)", [Timer._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="PostgreSQL's vacuum")
def test_the_first_tick_after_a_drain_vacuums_the_timer_table_once(deploy_bpmn, monkeypatch):
    monkeypatch.setattr(timers, "VACUUM_AFTER_DEAD_ROWS", 40)
    deploy_bpmn("quick_timer.bpmn")
    clock.set_time(china(2026, 3, 2, 9))
    for i in range(30):
        api.start("quick_timer", f"t-{i}")
    clock.set_time(china(2026, 3, 2, 10))
    vacuums = _vacuums()
    assert dispatch_due_timers()["instances"] == 30  # claimed, then fired here (eager Celery): 60 dead rows
    assert _vacuums() == vacuums, "not while it drains"
    deadline = time.monotonic() + 15
    while _vacuums() == vacuums:  # once the server counts the dead rows (within a second or two)
        assert time.monotonic() < deadline, "no tick vacuumed the drained timer rows"
        time.sleep(0.2)
        dispatch_due_timers()
    for _ in range(3):
        time.sleep(0.5)
        dispatch_due_timers()
    assert _vacuums() == vacuums + 1, "one drain, one vacuum"


def _other_backends():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return {pid for pid, in cursor.fetchall()}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                    reason="needs REDIS_URL and DATABASE_URL (the production path; CI sets both)")
def test_a_worker_keeps_its_database_connection_from_one_job_to_the_next(deploy_bpmn, worker, monkeypatch):
    monkeypatch.setattr(timers, "ADVANCE_CHUNK", 1)  # a job per instance
    deploy_bpmn("quick_timer.bpmn")  # a one-second timer, on the system clock the worker reads too
    seen = []
    for wave in range(2):
        started = [api.start("quick_timer", f"w{wave}-{i}").instance.pk for i in range(3)]
        time.sleep(1.2)
        assert dispatch_due_timers()["instances"] == 3
        deadline = time.monotonic() + 30
        while ProcessInstance.objects.filter(pk__in=started).exclude(state="completed").exists():
            assert time.monotonic() < deadline, "the worker did not advance the instances"
            time.sleep(0.1)
        seen.append(_other_backends())
    assert len(seen[0]) == 1, "the worker's connection outlives its jobs"
    assert seen[1] == seen[0], "and its next jobs use it again"
