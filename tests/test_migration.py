"""Migrating running instances to a new version: a placement deadline goes from 15 working days to 10."""
import json
import os
import time
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from django.core.management import CommandError

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.errors import PermissionDenied
from engine.models import AuditEvent, HumanTask, MigrationItem, MigrationJob, ProcessInstance, Timer
from workflows.visibility import instances_visible_to
from engine.api import dispatch_due_timers
from tests.conftest import BPMN_DIR
from tests.steps import command_output, reload
from tests.test_celery_worker import worker  # noqa: F401 - the fixture starting a real worker

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 China time; March 2026 has no holiday
END_OF_23_MARCH = datetime(2026, 3, 23, 16, 0, tzinfo=timezone.utc)  # 15 working days after 2 March, 24:00
END_OF_16_MARCH = datetime(2026, 3, 16, 16, 0, tzinfo=timezone.utc)  # 10 working days after 2 March
AGREEMENT = {"signed_on": "2026-03-02", "county": "520102", "social_org": "org1"}


def deploy_policy(version):
    bpmn, forms = read_files([BPMN_DIR / "policy" / version / "placement.bpmn"])
    return deploy(bpmn, forms, note=f"policy {version}").created[0]


def placement_row(instance):
    return HumanTask.objects.get(instance=instance, bpmn_id="place_workers")


def late_timer(instance):
    return Timer.objects.get(instance=instance, bpmn_id="late")


@pytest.fixture(autouse=True)
def monday():
    clock.set_time(MONDAY)


@pytest.fixture
def policy_change(offices):
    """Two agreements waiting for their social workers and one already placed, all on v1; then v2."""
    deploy_policy("v1")
    waiting = [api.start("placement", business_key=f"agreement-{n}", data=AGREEMENT).instance for n in (1, 2)]
    placed = api.start("placement", business_key="agreement-3", data=AGREEMENT).instance
    api.complete_task(placement_row(placed).id, {}, actor=offices["org1"])
    deploy_policy("v2")
    return waiting, placed


def test_old_instances_keep_15_days_and_new_ones_get_10(policy_change):
    waiting, _placed = policy_change
    assert placement_row(waiting[0]).due_at == late_timer(waiting[0]).due_at == END_OF_23_MARCH
    new = api.start("placement", data=AGREEMENT).instance
    assert reload(new).version.number == 2
    assert placement_row(new).due_at == late_timer(new).due_at == END_OF_16_MARCH


def test_migrated_instances_keep_their_data_and_so_who_sees_them(policy_change, owner, offices):
    waiting, _placed = policy_change

    def seen():
        return {code: set(instances_visible_to(user, ProcessInstance.objects.all()).values_list("pk", flat=True))
                for code, user in offices.items()}

    before, data = seen(), reload(waiting[0]).data
    assert waiting[0].pk in before["520102"] and waiting[0].pk not in before["520302"]
    api.migrate_instance(waiting[0].id, 2, actor=owner)
    assert reload(waiting[0]).data == data
    assert seen() == before, "every office sees what it saw before the migration"


def test_preview_shows_what_moves_and_refuses_what_is_unsafe(policy_change):
    waiting, placed = policy_change
    plans = {p["business_key"]: p for p in api.preview_migration("placement", 2, from_number=1)}
    assert set(plans) == {"agreement-1", "agreement-2", "agreement-3"}
    plan = plans["agreement-1"]
    assert plan["safe"] and plan["from_version"] == 1 and plan["to_version"] == 2
    assert plan["timers"] == [{"task_id": str(late_timer(waiting[0]).task_id), "element": "late", "name": "到岗期限",
                               "from": END_OF_23_MARCH.isoformat(), "to": END_OF_16_MARCH.isoformat()}]
    assert [(t["element"], t["from"], t["to"]) for t in plan["tasks"]] == [
        ("place_workers", END_OF_23_MARCH.isoformat(), END_OF_16_MARCH.isoformat())]
    assert {t["element"] for t in plan["reset"]} == {"place_workers", "late"}
    assert plan["removed"] == [] and plan["added"] == [] and plan["kept"] == []
    refused = plans["agreement-3"]
    assert not refused["safe"]
    assert [(r["code"], r["element"]) for r in refused["reasons"]] == [("finished_changed", "place_workers")]
    assert "社工到岗" in refused["reasons"][0]["message"]
    # A preview writes nothing.
    assert reload(waiting[0]).version.number == 1 and late_timer(waiting[0]).due_at == END_OF_23_MARCH
    assert not AuditEvent.objects.filter(action="instance.migrated").exists()


def test_migration_job_moves_due_dates_from_the_agreement_date(policy_change, owner,
                                                              django_capture_on_commit_callbacks):
    waiting, placed = policy_change
    clock.set_time(MONDAY + timedelta(days=3))  # migrating later does not restart the count
    with django_capture_on_commit_callbacks(execute=True):
        job = api.start_migration("placement", 2, from_number=1, actor=owner)
    job.refresh_from_db()
    assert job.state == MigrationJob.FINISHED and job.requested_by == "gz"
    assert (job.total, job.migrated, job.skipped, job.failed, job.progress) == (3, 2, 1, 0, 1.0)
    for instance in waiting:
        instance = reload(instance)
        assert instance.version.number == 2 and instance.state == "running"
        assert placement_row(instance).due_at == late_timer(instance).due_at == END_OF_16_MARCH
        assert placement_row(instance).state == "open", "the open task is the same row, not a new one"
    assert reload(placed).version.number == 1
    skipped = MigrationItem.objects.get(job=job, instance=placed)
    assert skipped.state == "skipped" and skipped.reasons[0]["code"] == "finished_changed"

    moved = AuditEvent.objects.get(instance=waiting[0], action="instance.migrated")
    assert moved.actor == "gz" and (moved.data["from_version"], moved.data["to_version"]) == (1, 2)
    timer_moved = AuditEvent.objects.get(instance=waiting[0], action="timer.migrated")
    assert (timer_moved.data["from"], timer_moved.data["to"]) == (END_OF_23_MARCH.isoformat(),
                                                                   END_OF_16_MARCH.isoformat())
    task_moved = AuditEvent.objects.get(instance=waiting[0], action="task.migrated")
    assert task_moved.data["due_at"] == END_OF_16_MARCH.isoformat()
    assert not AuditEvent.objects.filter(instance=waiting[0], action__in=["timer.fired", "timer.cancelled"]).exists()

    status = api.job_status(job.pk)
    assert status["processed"] == 3 and {i["state"] for i in status["items"]} == {"migrated", "skipped"}

    # The new deadline is the one that fires.
    clock.set_time(END_OF_16_MARCH + timedelta(seconds=1))
    dispatch_due_timers()
    escalations = HumanTask.objects.filter(bpmn_id="escalate", instance__in=waiting, state="open")
    assert escalations.count() == 2 and {t.office for t in escalations} == {"520102"}


def test_one_failing_instance_does_not_stop_the_others(offices, owner, django_capture_on_commit_callbacks):
    deploy_policy("v1")
    ready = api.start("placement", business_key="has-date", data={**AGREEMENT, "workers_from": "2026-03-04"}).instance
    lacking = api.start("placement", business_key="no-date", data=AGREEMENT).instance
    deploy_policy("v3")  # counts from workers_from, which the second instance does not have
    plans = {p["business_key"]: p for p in api.preview_migration("placement", 2)}
    assert plans["has-date"]["safe"] and not plans["no-date"]["safe"]
    assert "workers_from" in plans["no-date"]["error"]
    with django_capture_on_commit_callbacks(execute=True):
        job = api.start_migration("placement", 2, actor=owner)
    job.refresh_from_db()
    assert (job.state, job.migrated, job.skipped, job.failed) == ("finished", 1, 0, 1)
    assert reload(ready).version.number == 2
    assert late_timer(ready).due_at == datetime(2026, 3, 18, 16, 0, tzinfo=timezone.utc)
    lacking = reload(lacking)
    assert lacking.version.number == 1 and lacking.state == "running"
    assert late_timer(lacking).due_at == END_OF_23_MARCH
    failed = MigrationItem.objects.get(job=job, instance=lacking)
    assert failed.state == "failed" and "workers_from" in failed.reasons[0]["message"]
    assert not AuditEvent.objects.filter(instance=lacking, action="instance.migrated").exists()


def test_only_process_owners_migrate(policy_change, offices, owner):
    with pytest.raises(PermissionDenied):
        api.start_migration("placement", 2, actor=offices["520102"])
    waiting, _placed = policy_change
    with pytest.raises(PermissionDenied):
        api.migrate_instance(waiting[0].id, 2, actor=offices["5201"])
    plan = api.migrate_instance(waiting[0].id, 2, actor=owner)
    assert plan.safe and reload(waiting[0]).version.number == 2
    again = api.migrate_instance(waiting[0].id, 2, actor=owner)
    assert [r["code"] for r in again.reasons] == ["already_on_target"]


def test_a_claimed_task_and_unchanged_timers_survive_migration(offices, owner):
    deploy_policy("v1")
    instance = api.start("placement", data=AGREEMENT).instance
    api.claim(placement_row(instance).id, actor=offices["org1"])
    deploy_policy("v2")
    api.migrate_instance(instance.id, 2, actor=owner)
    row = placement_row(instance)
    assert row.state == "claimed" and row.assignee == "org1", "same office: the claim stands"
    api.complete_task(row.id, {}, actor=offices["org1"])
    instance = reload(instance)
    assert instance.current_elements == ["confirm_arrival"]
    assert not Timer.objects.filter(instance=instance).exists()


run = partial(command_output, "bpmn")


def test_command_line_dry_run_then_migrate(policy_change):
    waiting, placed = policy_change
    dry = run("migrate", "placement", "--to", "2", "--from", "1", "--dry-run")
    assert "timer late: 2026-03-24 00:00 -> 2026-03-17 00:00" in dry
    assert "refused: 已办理的“社工到岗”在新版本中有改动" in dry
    assert reload(waiting[0]).version.number == 1
    done = json.loads(run("--json", "migrate", "placement", "--to", "2", "--instance", str(waiting[1].id)))
    assert (done["migrated"], done["skipped"], done["failed"]) == (1, 0, 0)
    assert reload(waiting[1]).version.number == 2 and reload(waiting[0]).version.number == 1
    assert "migrated 1, skipped 1, failed 0" in run("migrate", "placement", "--to", "2")
    with pytest.raises(CommandError, match="没有第 7 版"):
        run("migrate", "placement", "--to", "7")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                    reason="needs REDIS_URL and DATABASE_URL (the production path; CI sets both)")
def test_a_real_worker_runs_the_migration_job(policy_change, owner, worker):
    waiting, _placed = policy_change
    job = api.start_migration("placement", 2, actor=owner)  # committed at once: the worker gets it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and MigrationJob.objects.get(pk=job.pk).state != MigrationJob.FINISHED:
        time.sleep(0.2)
    job.refresh_from_db()
    assert (job.state, job.migrated, job.skipped, job.failed) == ("finished", 2, 1, 0)
    # The worker's clock is the real one, long past March: the moved deadline has fired there already.
    moved = AuditEvent.objects.get(instance=waiting[0], action="timer.migrated")
    assert moved.data["to"] == END_OF_16_MARCH.isoformat() and reload(waiting[0]).version.number == 2
