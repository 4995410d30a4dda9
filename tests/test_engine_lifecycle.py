"""An instance from start to end through the engine's API: tasks, forms, offices, audit, state."""
import threading
from datetime import datetime, timezone
from functools import partial

import pytest
from django.db import connection, connections, transaction

from engine import api
from engine.api import clock
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import loading

from .steps import open_task, run_at_once

pytestmark = pytest.mark.django_db(transaction=False)

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in China


@pytest.fixture
def review(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn", note="first")
    return api.start("review", "plan-2026-520102", {"county": "520102", "revisions": 0}, actor="tester").instance


def test_user_task_goes_to_the_county_of_the_instance_with_form_and_due_date(review):
    task = open_task(review, "write_plan")
    assert task.office == "520102"
    assert task.lane == "county_bureau"
    assert task.form_id == "plan"
    assert task.instructions == "填写本县年度计划"
    # Five working days after Monday 2 March 2026: Monday 9 March, ending at 24:00 China time.
    assert task.due_at == datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)
    assert not task.due_provisional
    review.refresh_from_db()
    assert review.state == "running"
    assert review.current_elements == ["write_plan"]


def test_a_step_says_what_it_did(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    started = api.start("review", "plan-2026-520102", {"county": "520102", "revisions": 0}, actor="tester")
    assert [t.bpmn_id for t in started.open_tasks] == ["write_plan"], "start tells what it left open"
    assert started.opened == started.open_tasks and started.closed == () and started.task is None
    assert [e.action for e in started.events] == ["instance.started", "task.created", "instance.mark_running"]
    write = started.open_tasks[0]
    done = api.complete_task(write.id, {"background": "新设街道", "budget": "300000.00"}, actor=offices["520102"])
    assert done.task.id == write.id and done.task.state == "completed"
    assert done.closed == (done.task,), "so does each completion: the task it closed"
    assert [t.bpmn_id for t in done.opened] == [t.bpmn_id for t in done.open_tasks] == ["review_plan"]
    assert [e.action for e in done.events] == ["task.complete", "task.created"]
    assert not hasattr(done.instance, "open_tasks"), "nothing of the step is left on the model"


def test_review_loop_returns_to_county_then_completes(review, offices):
    api.complete_task(open_task(review, "write_plan").id, {"background": "新设街道", "budget": "300000.00"},
                      actor=offices["520102"])
    review_task = open_task(review, "review_plan")
    assert review_task.office == "5201", "a county's plan is reviewed by its own prefecture"
    api.complete_task(review_task.id, {"decision": "return", "comment": "预算过高"}, actor=offices["5201"])
    again = open_task(review, "write_plan")
    api.complete_task(again.id, {"background": "新设街道", "budget": "250000.00"}, actor=offices["520102"])
    api.complete_task(open_task(review, "review_plan").id, {"decision": "approve"}, actor=offices["5201"])
    review.refresh_from_db()
    assert review.state == "completed"
    assert review.data["revisions"] == 2
    assert review.data["budget"] == "250000.00"
    actions = list(AuditEvent.objects.filter(instance=review).values_list("action", flat=True))
    assert actions[0] == "instance.started"
    assert actions.count("task.complete") == 4
    assert actions[-1] == "instance.complete"
    completed = AuditEvent.objects.filter(instance=review, action="task.complete").first()
    assert completed.actor == "520102" and completed.data["data"]["budget"] == "300000.00"


def test_form_errors_name_the_field_and_change_nothing(review, offices):
    task = open_task(review, "write_plan")
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as err:
        api.complete_task(task.id, {"budget": "12.345"}, actor=offices["520102"])
    assert set(err.value.errors) == {"background", "budget"}
    assert "项目背景" in err.value.errors["background"]
    task.refresh_from_db()
    assert task.state == "open"
    assert AuditEvent.objects.count() == before


def test_other_county_cannot_work_on_the_task(review, offices):
    task = open_task(review, "write_plan")
    with pytest.raises(PermissionDenied):
        api.claim(task.id, actor=offices["520302"])
    with pytest.raises(PermissionDenied):
        api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["5201"])


def test_claim_release_reassign(review, offices):
    task = open_task(review, "write_plan")
    api.claim(task.id, actor=offices["520102-b"])
    with pytest.raises(Conflict, match="已被 520102-b 认领"):
        api.claim(task.id, actor=offices["520102"])
    with pytest.raises(PermissionDenied):
        api.reassign(task.id, "520102", actor=offices["520102-b"])
    api.reassign(task.id, "520102", actor=offices["520102"])  # a supervisor
    task.refresh_from_db()
    assert task.assignee == "520102" and task.state == "claimed"
    with pytest.raises(InvalidInput):
        api.reassign(task.id, "5201", actor=offices["520102"])
    api.release(task.id, actor=offices["520102"])
    task.refresh_from_db()
    assert task.state == "open" and task.assignee == ""
    actions = list(AuditEvent.objects.filter(task_id=task.id).values_list("action", "actor"))
    assert ("task.claim", "520102-b") in actions and ("task.reassign", "520102") in actions


def test_completing_a_completed_task_is_a_conflict(review, offices):
    task = open_task(review, "write_plan")
    api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["520102"])
    with pytest.raises(Conflict, match="已不在办理中：已办结，办理人 520102，"):
        api.complete_task(task.id, {"background": "y", "budget": 2}, actor=offices["520102-b"])


def test_suspend_resume_cancel_with_reasons(review, offices):
    api.suspend(review.id, actor="manager", reason="核查预算")
    task = open_task(review, "write_plan")
    with pytest.raises(Conflict, match="流程实例已挂起"):
        api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["520102"])
    with pytest.raises(Conflict):
        api.suspend(review.id)
    api.resume(review.id, actor="manager")
    review.refresh_from_db()
    assert review.state == "running"
    api.cancel(review.id, actor="manager", reason="重复立项")
    review.refresh_from_db()
    assert review.state == "cancelled" and review.ended_at is not None
    task.refresh_from_db()
    assert task.state == "cancelled"
    reasons = AuditEvent.objects.filter(instance=review, action__in=["instance.suspend", "instance.cancel"])
    assert [e.data["reason"] for e in reasons] == ["核查预算", "重复立项"]


def test_a_reason_belongs_to_its_own_transition_only(review):
    api.suspend(review.id, actor="manager", reason="核查预算")
    resumed = api.resume(review.id, actor="manager", reason="budget ok")
    assert [(e.action, e.data) for e in resumed.events] == [
        ("instance.resume", {"reason": "budget ok"}), ("instance.mark_running", {})]
    cancelled = api.cancel(review.id, actor="manager")
    assert [(e.action, e.data) for e in cancelled.events if e.action.startswith("instance.")] == [
        ("instance.cancel", {})]


def test_unknown_things_are_clear_errors(review):
    with pytest.raises(NotFound, match="no process definition 'nope'"):
        api.start("nope")
    with pytest.raises(NotFound):
        api.complete_task("00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(InvalidInput, match="typename"):
        api.start("review", data={"typename": "x"})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_completing_the_same_task_exactly_one_succeeds(review, offices):
    instance = review
    task = open_task(instance, "write_plan")
    barrier = threading.Barrier(2)
    outcomes = []

    def work(user):
        try:
            barrier.wait()
            api.complete_task(task.id, {"background": user.username, "budget": 1}, actor=user)
            outcomes.append("ok")
        except Conflict as err:
            outcomes.append(f"conflict: {err}")
        finally:
            connection.close()

    run_at_once(*[partial(work, offices[name]) for name in ("520102", "520102-b")])
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"], outcomes
    assert HumanTask.objects.filter(instance=instance, bpmn_id="review_plan").count() == 1
    assert ProcessInstance.objects.get(pk=instance.pk).data["revisions"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_is_committed_when_it_returns(review, offices):
    instance = review
    task = open_task(instance, "write_plan")
    api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["520102"])
    # Another connection sees the step: it is committed, not merely written.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT state FROM {HumanTask._meta.db_table} WHERE id = %s",
                           [HumanTask._meta.pk.get_db_prep_value(task.id, other)])
            assert cursor.fetchone()[0] == "completed"
    finally:
        other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_inside_a_caller_transaction_rolls_back_with_it(review, offices):
    instance = review
    task = open_task(instance, "write_plan")
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(RuntimeError, match="the caller's own work failed"), transaction.atomic():
        api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["520102"])
        assert HumanTask.objects.get(pk=task.id).state == "completed", "the step wrote within the caller's transaction"
        raise RuntimeError("the caller's own work failed")
    assert open_task(instance, "write_plan").state == "open"
    assert AuditEvent.objects.count() == audit_rows
    assert ProcessInstance.objects.get(pk=instance.pk).current_elements == ["write_plan"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_next_step_takes_the_committed_workflow_unless_the_row_changed_elsewhere(review, offices, monkeypatch):
    instance = review
    deserialized = []
    load_state = loading.load_state
    monkeypatch.setattr(loading, "load_state", lambda *args: deserialized.append(args) or load_state(*args))
    kept_after_start = dict(loading._workflows)
    # Another process (which kept nothing) completes the first task...
    loading._workflows.clear()
    api.complete_task(open_task(instance, "write_plan").id, {"background": "x", "budget": 1},
                      actor=offices["520102"])
    assert len(deserialized) == 1
    # ...so what this process kept after the start is stale: the row decides.
    loading._workflows.clear()
    loading._workflows.update(kept_after_start)
    api.complete_task(open_task(instance, "review_plan").id, {"decision": "return", "comment": "补充"},
                      actor=offices["5201"])
    assert len(deserialized) == 2
    # Nothing changed the row since: the workflow the last step committed is taken as it is.
    api.complete_task(open_task(instance, "write_plan").id, {"background": "y", "budget": 2},
                      actor=offices["520102"])
    assert len(deserialized) == 2
    assert ProcessInstance.objects.get(pk=instance.pk).data["revisions"] == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_form_is_read_from_the_kept_workflow_which_the_next_step_still_takes(deploy_bpmn, offices,
                                                                                     monkeypatch):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    instance = api.start("review", "", {"county": "520102", "revisions": 0, "notes": {"site": "新设街道"}}).instance
    deserialized = []
    load_state = loading.load_state
    monkeypatch.setattr(loading, "load_state", lambda *args: deserialized.append(args) or load_state(*args))
    task = open_task(instance, "write_plan")
    form = api.task_form(task)
    assert form.data["notes"] == {"site": "新设街道"} and not deserialized
    form.data["notes"]["site"] = "changed on the page"  # the form's data is the reader's own
    api.complete_task(task.id, {"background": "x", "budget": 1}, actor=offices["520102"])
    assert not deserialized, "the workflow lent to the form was given back for the step"
    assert ProcessInstance.objects.get(pk=instance.pk).data["notes"] == {"site": "新设街道"}
    # With nothing kept (another process took the last step), the form deserializes it, and keeps it for the step.
    loading._workflows.clear()
    task = open_task(instance, "review_plan")
    api.task_form(task)
    api.complete_task(task.id, {"decision": "approve"}, actor=offices["5201"])
    assert len(deserialized) == 1


@pytest.mark.parametrize("own_transaction", [
    False, pytest.param(True, marks=pytest.mark.django_db(transaction=True, serialized_rollback=True))])
def test_new_instances_start_on_a_version_deployed_since(deploy_bpmn, offices, own_transaction):
    from engine.models import ProcessDefinition

    from .conftest import BPMN_DIR

    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    first = api.start("review", "", {"county": "520102", "revisions": 0}).instance
    assert first.version.number == 1
    text = (BPMN_DIR / "review.bpmn").read_text(encoding="utf-8").replace("编写年度计划", "编制年度计划")
    forms = {n: (BPMN_DIR / "forms" / n).read_text(encoding="utf-8") for n in ("plan.form", "review.form")}
    api.deploy({"review.bpmn": text}, forms, note="v2")  # this process still remembers version 1 as current
    second = api.start("review", "", {"county": "520102", "revisions": 0}).instance
    assert second.version.number == 2
    assert open_task(second, "write_plan").name == "编制年度计划"
    assert ProcessInstance.objects.get(pk=first.pk).version.number == 1, "running instances keep theirs"
    assert ProcessDefinition.objects.get(key="review").versions.count() == 2
