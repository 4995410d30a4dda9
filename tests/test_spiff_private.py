"""The SpiffWorkflow internals engine/spiff_private.py relies on: each test fails when an upgrade changes one.

This file and the adapter are the only places that touch SpiffWorkflow's private API.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import clock, spiff_private
from engine.bpmn import serializer

from .steps import run_at_once

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in China

WAITS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="ping" name="ping" />
  <bpmn:process id="waits" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:parallelGateway id="split" />
    <bpmn:intermediateCatchEvent id="two_hours">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="noon">
      <bpmn:timerEventDefinition><bpmn:timeDate>"2026-03-02T12:00:00"</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="message">
      <bpmn:messageEventDefinition messageRef="ping" />
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="join" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="two_hours" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="noon" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="message" />
    <bpmn:sequenceFlow id="f5" sourceRef="two_hours" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="noon" targetRef="join" />
    <bpmn:sequenceFlow id="f7" sourceRef="message" targetRef="join" />
    <bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def workflow(tmp_path):
    path = tmp_path / "waits.bpmn"
    path.write_text(WAITS, encoding="utf-8")
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    clock.set_time(START)
    workflow = BpmnWorkflow(parser.get_spec("waits"))
    workflow.do_engine_steps()
    yield workflow
    clock.release()


def waiting(workflow, bpmn_id):
    [task] = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == bpmn_id]
    return task


def due(task):
    return datetime.fromisoformat(task.task_spec.event_definition.details(task).value)


def test_the_timer_module_has_the_globals_the_clock_replaces():
    assert timer_module.datetime is clock.ClockDatetime, "installed at start-up"
    assert timer_module.LOCALTZ is clock.CHINA


def test_timers_count_from_the_engine_clock_and_read_naive_dates_as_china_time(workflow):
    assert due(waiting(workflow, "two_hours")) == START + timedelta(hours=2)
    noon = waiting(workflow, "noon").task_spec.event_definition.details(waiting(workflow, "noon")).value
    assert timer_module.TimerEventDefinition.get_datetime(noon) == datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc)


def test_a_forgotten_due_time_is_computed_again_at_the_next_update(workflow):
    task = waiting(workflow, "two_hours")
    clock.set_time(START + timedelta(hours=1))
    spiff_private.update_task(task)
    assert due(task) == START + timedelta(hours=2), "kept while not forgotten"
    spiff_private.forget_timer_due(task)
    spiff_private.update_task(task)
    assert due(task) == START + timedelta(hours=3)


def test_a_caught_event_takes_effect_at_the_update(workflow):
    task = waiting(workflow, "message")
    definition = task.task_spec.event_definition
    task.task_spec.catch(task, BpmnEvent(definition, payload={"x": 1}))
    assert task.state == TaskState.WAITING, "catching alone does not move the task"
    spiff_private.update_task(task)
    assert task.state in (TaskState.READY, TaskState.COMPLETED)


def test_a_fired_wait_is_ready_to_run_and_leaves_the_waiting_events(workflow):
    task = waiting(workflow, "message")
    spiff_private.fire(task)
    assert task.state == TaskState.READY
    assert task.id not in workflow.event_manager.tasks, "no longer among the events the workflow waits for"
    workflow.do_engine_steps()
    assert task.state == TaskState.COMPLETED


def test_a_task_state_comes_back_whole(workflow):
    task = waiting(workflow, "two_hours")
    task.data = {"kept": 1}
    state = spiff_private.task_state(task)
    task.data, task.internal_data = {}, {}
    spiff_private.restore_task_state(task, state)
    assert task.data == {"kept": 1} and "event_value" in task.internal_data


def test_state_is_written_as_spiffworkflow_itself_writes_it(workflow):
    workflow.get_tasks(state=TaskState.WAITING)[0].data = {"when": START, "n": 1}
    own = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    written = json.loads(own.serialize_json(workflow))
    ours = json.loads(serializer.dump_state(workflow))
    assert ours["tasks"] == written["tasks"] and ours["data"] == written["data"]


class Probe(dict):
    """Task data that notes the shared registry's mode while the state is written."""

    seen = []

    def items(self):
        Probe.seen.append(serializer.spec_registry()._encoder_mode)
        return super().items()


def test_writing_state_leaves_the_shared_registry_alone(workflow):
    """Another thread (the embedded dispatcher beside a request) reads specs through the shared registry."""
    waiting(workflow, "two_hours").data = {"probe": Probe(x=1)}
    Probe.seen.clear()
    serializer.dump_state(workflow)
    assert Probe.seen and not any(Probe.seen)


def test_state_and_specs_written_from_threads_at_once_stay_the_same(workflow):
    specs = serializer.dump_specs(workflow.spec, {})
    states, errors = set(), []

    def write():
        try:
            for _ in range(50):
                states.add(serializer.dump_state(workflow))
                assert serializer.dump_specs(workflow.spec, {}) == specs
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    run_at_once(*[write] * 4)
    assert not errors and len(states) == 1


CYCLE_START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="cycle" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:timerEventDefinition><bpmn:timeCycle>"R/2030-01-01T09:00:00+08:00/P1Y"</bpmn:timeCycle>
      </bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:scriptTask id="work"><bpmn:script>worked = True</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_cycle_start_whose_first_moment_is_ahead_has_no_branch_until_given_one(tmp_path):
    path = tmp_path / "cycle.bpmn"
    path.write_text(CYCLE_START, encoding="utf-8")
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    clock.set_time(START)
    try:
        workflow = BpmnWorkflow(parser.get_spec("cycle"))
        workflow.do_engine_steps()
        start = waiting(workflow, "start")
        assert start.children == [], "SpiffWorkflow adds the branch only when a cycle comes due"
        spiff_private.add_branches(start)
        spiff_private.fire(start)
        workflow.do_engine_steps()
        assert workflow.is_completed() and workflow.data["worked"] is True
    finally:
        clock.release()


def test_a_held_cycle_start_takes_no_branch_for_the_occurrences_past(tmp_path):
    path = tmp_path / "cycle.bpmn"
    path.write_text(CYCLE_START, encoding="utf-8")
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    clock.set_time(START.replace(year=2033))  # four occurrences past: 1 January 2030 to 2033
    try:
        workflow = BpmnWorkflow(parser.get_spec("cycle"))
        workflow.do_engine_steps()
        assert len(waiting(workflow, "start").children) == 4, "SpiffWorkflow gives one per occurrence past"
        workflow = BpmnWorkflow(parser.get_spec("cycle"))
        for task in workflow.get_tasks():
            if task.task_spec.bpmn_id == "start":
                spiff_private.hold_cycle(task)
        workflow.do_engine_steps()
        start = waiting(workflow, "start")
        assert start.children == []
        spiff_private.add_branches(start)
        spiff_private.fire(start)
        workflow.do_engine_steps()
        assert workflow.is_completed() and len(workflow.get_tasks(spec_name="work")) == 1
    finally:
        clock.release()
