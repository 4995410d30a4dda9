"""A step's writes, batched (engine/batch.py): what one step writes twice or replaces still lands in order."""
import uuid
from datetime import datetime, timezone

import django.db
import psycopg
import pytest
from django.db import transaction

from engine import api, batch, clock
from engine.models import AuditEvent, HumanTask, Timer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def instance(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    return api.start("review", "", {"county": "520102", "revisions": 0}).instance


def test_a_row_written_through_two_objects_gets_both_writes(instance):
    task_id = HumanTask.objects.get(instance=instance).id
    with batch.step_transaction():
        first, second = HumanTask.objects.get(pk=task_id), HumanTask.objects.get(pk=task_id)
        first.assignee = "first"
        batch.update(first, ["assignee"])
        second.name = "second"
        batch.update(second, ["name"])
        batch.insert(AuditEvent(at=clock.now(), actor="t", action="test.write", instance=instance))
    row = HumanTask.objects.get(pk=task_id)
    assert (row.assignee, row.name) == ("first", "second")
    assert AuditEvent.objects.filter(action="test.write").count() == 1


def test_a_row_replaced_within_a_step_is_deleted_before_its_successor_is_inserted(instance):
    task_id = uuid.uuid4()
    old = Timer.objects.create(instance=instance, task_id=task_id, bpmn_id="t", due_at=START, armed_at=START)
    with batch.step_transaction():
        batch.delete(old)
        batch.insert(Timer(instance=instance, task_id=task_id, bpmn_id="t2", due_at=START, armed_at=START))
        batch.insert(AuditEvent(at=clock.now(), actor="t", action="test.replace", instance=instance))
    assert list(Timer.objects.filter(task_id=task_id).values_list("bpmn_id", flat=True)) == ["t2"]


def test_a_failing_write_leaves_nothing_of_the_step(instance):
    task_id = HumanTask.objects.get(instance=instance).id
    # SQLite answers through Django (django.db.IntegrityError); PostgreSQL's batch goes through raw psycopg cursors.
    with pytest.raises((django.db.IntegrityError, psycopg.IntegrityError)), batch.step_transaction():
        row = HumanTask.objects.get(pk=task_id)
        row.assignee = "someone"
        batch.update(row, ["assignee"])
        batch.insert(AuditEvent(at=clock.now(), actor="t", action="test.fail", instance=instance))
        # The same task id again: the primary key refuses it when the step's writes are made.
        batch.insert(HumanTask(id=task_id, instance=instance, bpmn_id="x", name="x", created_at=clock.now()))
    assert HumanTask.objects.get(pk=task_id).assignee == ""
    assert not AuditEvent.objects.filter(action="test.fail").exists()
    with transaction.atomic():  # the connection is usable again
        assert HumanTask.objects.filter(pk=task_id).exists()
