"""An instance's stored state is what it needs to go on, not its history (engine/runtime/pruning.py):
long loops keep running at the same cost, loops inside one step do not stop at SpiffWorkflow's depth
limit, and history lives in the task rows, the audit trail and the completed elements."""
import importlib
import json

import pytest
from django.apps import apps

from engine import api
from engine.api import clock
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import pruning

from .conftest import BPMN_DIR
from .steps import open_task
from .test_engine_lifecycle import START

PLAN = {"background": "新设街道", "budget": "300000.00"}


@pytest.fixture
def review(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    return api.start("review", "plan-2026-520102", {"county": "520102", "revisions": 0}).instance


def returned(instance, times, offices):
    for _ in range(times):
        api.complete_task(open_task(instance, "write_plan").id, PLAN, actor=offices["520102"])
        api.complete_task(open_task(instance, "review_plan").id, {"decision": "return", "comment": "补充"},
                          actor=offices["5201"])


def stored(instance):
    return ProcessInstance.objects.get(pk=instance.pk)


def test_a_thousand_steps_later_the_instance_still_runs_with_its_open_task(review, offices):
    returned(review, 5, offices)
    early = len(stored(review).serialized)
    returned(review, 495, offices)
    instance = stored(review)
    assert instance.state == "running" and instance.current_elements == ["write_plan"]
    assert len(instance.serialized) <= early * 1.1, "the stored state does not grow with the steps taken"
    assert instance.completed_elements == ["decide", "review_plan", "start", "tally", "write_plan"]
    api.complete_task(open_task(review, "write_plan").id, PLAN, actor=offices["520102"])
    api.complete_task(open_task(review, "review_plan").id, {"decision": "approve"}, actor=offices["5201"])
    instance = stored(review)
    assert instance.state == "completed" and instance.data["revisions"] == 501
    assert HumanTask.objects.filter(instance=review, state="completed").count() == 1002, "history is in the rows"


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="counts" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="count"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="more" default="done"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>done</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count" />
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more" />
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count">
      <bpmn:conditionExpression>n &lt; goal</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_loop_within_one_step_runs_past_the_depth_limit(db):
    api.deploy({"counts.bpmn": LOOP})
    instance = api.start("counts", data={"n": 0, "goal": 1500}).instance
    assert instance.state == "completed" and instance.data["n"] == 1500
    assert instance.completed_elements == ["count", "end", "more", "start"]


def test_an_instance_that_cannot_go_on_fails_instead_of_completing(db, monkeypatch):
    monkeypatch.setattr(pruning, "prune", lambda workflow: [])  # as if the history could not be cut back
    api.deploy({"counts.bpmn": LOOP})
    instance = api.start("counts", data={"n": 0, "goal": 1500}).instance
    assert instance.state == "failed" and instance.data["n"] < 1500
    assert "depth limit" in instance.error and instance.error_element in ("count", "more")


def test_history_the_state_dropped_still_marks_the_diagram(review, offices):
    returned(review, 2, offices)
    marks = api.diagram_marks(stored(review))
    assert marks == {"completed": ["decide", "review_plan", "start", "tally"], "current": ["write_plan"],
                     "overdue": []}


def test_a_migration_that_would_rewrite_dropped_history_is_refused(review, offices):
    returned(review, 1, offices)  # the first review is history the stored state no longer holds
    assert not [t for t in json.loads(stored(review).serialized)["tasks"].values()
                if t["task_spec"] == "review_plan" and t["state"] == 64], "no completed review is stored"
    text = (BPMN_DIR / "review.bpmn").read_text(encoding="utf-8")
    forms = {n: (BPMN_DIR / "forms" / n).read_text(encoding="utf-8") for n in ("plan.form", "review.form")}
    api.deploy({"review.bpmn": text.replace('value="review" /', 'value="plan" /')}, forms, note="v2")
    [plan] = api.preview_migration("review", 2)
    assert not plan["safe"]
    assert {(r["code"], r["element"]) for r in plan["reasons"]} == {("finished_changed", "review_plan")}


def test_an_instance_stored_with_its_whole_history_goes_on_after_the_data_migration(review, offices, monkeypatch):
    with monkeypatch.context() as old_engine:  # the engine before states were cut back
        old_engine.setattr(pruning, "prune", lambda workflow: [])
        returned(review, 20, offices)
    whole = stored(review)
    assert len(json.loads(whole.serialized)["tasks"]) > 80
    ProcessInstance.objects.filter(pk=review.pk).update(completed_elements=[])
    migration = importlib.import_module("engine.migrations.0007_completed_elements")
    migration.cut_back_stored_states(apps, None)
    cut = stored(review)
    assert len(json.loads(cut.serialized)["tasks"]) < 20
    assert {"write_plan", "review_plan", "tally"} <= set(cut.completed_elements)
    api.complete_task(open_task(review, "write_plan").id, PLAN, actor=offices["520102"])
    api.complete_task(open_task(review, "review_plan").id, {"decision": "approve"}, actor=offices["5201"])
    assert stored(review).state == "completed" and stored(review).data["revisions"] == 21
    assert AuditEvent.objects.filter(instance=review, action="instance.complete").count() == 1


PARALLEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="three_reports" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="county" name="county_bureau">
      <bpmn:flowNodeRef>a</bpmn:flowNodeRef><bpmn:flowNodeRef>b</bpmn:flowNodeRef><bpmn:flowNodeRef>c</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>fa</bpmn:outgoing>
      <bpmn:outgoing>fb</bpmn:outgoing><bpmn:outgoing>fc</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="a"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>ja</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="b"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>jb</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="c"><bpmn:incoming>fc</bpmn:incoming><bpmn:outgoing>jc</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>ja</bpmn:incoming><bpmn:incoming>jb</bpmn:incoming>
      <bpmn:incoming>jc</bpmn:incoming><bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a" />
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b" />
    <bpmn:sequenceFlow id="fc" sourceRef="split" targetRef="c" />
    <bpmn:sequenceFlow id="ja" sourceRef="a" targetRef="join" />
    <bpmn:sequenceFlow id="jb" sourceRef="b" targetRef="join" />
    <bpmn:sequenceFlow id="jc" sourceRef="c" targetRef="join" />
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("order", ["abc", "cba", "bac"])
def test_a_join_remembers_each_branch_that_reached_it_in_an_earlier_step(db, order):
    api.deploy({"three_reports.bpmn": PARALLEL})
    instance = api.start("three_reports", data={"county": "520102"}).instance
    for element in order:
        assert stored(instance).state == "running"
        api.complete_task(open_task(instance, element).id, {})
    assert stored(instance).state == "completed"
