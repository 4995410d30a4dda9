"""Overdue is one rule: the task QuerySet's filters and aggregate condition pick in the database what the
predicate says of a task in memory, up to the second."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.db.models import Count

from engine import api
from engine.api import clock
from engine.models import HumanTask, ProcessInstance
from engine.models import TaskState, is_overdue, overdue_condition

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)  # 24:00 in China
SECOND = timedelta(seconds=1)
# bpmn id: (state, due time)
TASKS = {
    "due_now": (TaskState.OPEN, NOW),
    "a_second_ago": (TaskState.CLAIMED, NOW - SECOND),
    "in_a_second": (TaskState.OPEN, NOW + SECOND),
    "completed_late": (TaskState.COMPLETED, NOW - timedelta(days=1)),
    "no_due_time": (TaskState.OPEN, None),
}


@pytest.fixture
def rows(deploy_bpmn, offices):
    """The TASKS as rows of one instance, read back from the database."""
    clock.set_time(NOW - timedelta(days=10))
    deploy_bpmn("review.bpmn")
    api.start("review", "", {"county": "520102", "revisions": 0})
    instance = ProcessInstance.objects.get()
    created = [HumanTask.objects.create(id=uuid.uuid4(), instance=instance, bpmn_id=bpmn_id, name=bpmn_id,
                                        state=state, due_at=due_at) for bpmn_id, (state, due_at) in TASKS.items()]
    clock.set_time(NOW)
    return HumanTask.objects.filter(pk__in=[row.pk for row in created])


def test_the_queryset_and_the_predicate_agree_at_the_boundary(rows):
    in_memory = {row.bpmn_id for row in rows if row.is_overdue}
    assert in_memory == {"due_now", "a_second_ago"}
    assert {row.bpmn_id for row in rows if is_overdue(row.state, row.due_at, NOW)} == in_memory
    assert {row.bpmn_id for row in rows.overdue()} == in_memory
    assert {row.bpmn_id for row in rows.overdue(NOW - SECOND)} == {"a_second_ago"}
    assert rows.aggregate(late=Count("pk", filter=overdue_condition(NOW)))["late"] == len(in_memory)


def test_open_and_due_soon(rows):
    assert {row.bpmn_id for row in rows.open()} == set(TASKS) - {"completed_late"}
    assert {row.bpmn_id for row in rows.due_soon(until=NOW + SECOND)} == {"in_a_second"}
    assert not rows.due_soon(until=NOW).exists()
