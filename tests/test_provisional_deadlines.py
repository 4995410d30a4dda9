"""Deadlines in a year the calendar does not cover yet are provisional and move when the year is loaded."""
import json
from datetime import datetime, timezone

import pytest
from django.conf import settings

from engine import api
from engine.api import calendar, clock
from engine.models import AuditEvent, HumanTask, Timer
from engine.api.calendar import load_year_from_notice

EXAMPLE = settings.BASE_DIR / "bpmn" / "calendar" / "2027.example.json"


@pytest.mark.django_db
def test_loading_2027_recomputes_provisional_deadlines(deploy_bpmn, offices, django_capture_on_commit_callbacks):
    clock.set_time(datetime(2026, 12, 28, 2, 0, tzinfo=timezone.utc))
    deploy_bpmn("deadline.bpmn")
    instance = api.start("deadline", data={"signed_on": "2026-12-28", "county": "520102", "social_org": "org1"}).instance
    timer = Timer.objects.get(instance=instance, bpmn_id="late")
    task = HumanTask.objects.get(instance=instance, bpmn_id="place_workers")
    provisional_due = calendar.add_workdays("2026-12-28", 15)
    assert provisional_due.provisional
    assert timer.provisional and task.due_provisional
    assert timer.due_at == task.due_at == provisional_due.at

    # Recomputing runs after the calendar's commit.
    with django_capture_on_commit_callbacks(execute=True):
        load_year_from_notice(json.loads(EXAMPLE.read_text(encoding="utf-8")), actor="calendar-admin")

    final_due = calendar.add_workdays("2026-12-28", 15)
    assert not final_due.provisional
    assert final_due.at > provisional_due.at, "New Year's Day 2027 is no longer counted as a working day"
    timer.refresh_from_db()
    task.refresh_from_db()
    assert (timer.due_at, timer.provisional) == (final_due.at, False)
    assert (task.due_at, task.due_provisional) == (final_due.at, False)
    moved = AuditEvent.objects.get(instance=instance, action="timer.recomputed", data__element="late")
    assert moved.data["from"] == provisional_due.at.isoformat() and moved.data["to"] == final_due.at.isoformat()
    assert AuditEvent.objects.filter(instance=instance, action="task.due_recomputed").count() == 1
    # The cycle reminder does not depend on the calendar and did not move.
    assert not AuditEvent.objects.filter(instance=instance, action="timer.recomputed", data__element="reminder")
