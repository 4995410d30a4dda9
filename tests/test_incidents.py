"""A step that fails outside the workflow is tried again when the failure may pass, and otherwise leaves the
instance failed with the error, the element and the attempt count: an incident, fixed and retried by an operator."""
from datetime import timedelta

import pytest

from engine import api
from engine.api import clock
from engine.errors import StepFailed, TryAgain
from engine.extensions import service
from engine.models import AuditEvent, ProcessInstance, Timer

from .steps import move_clock_to
from .test_engine_lifecycle import START

AFTER_A_TIMER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="after_a_timer" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="note"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="note" />
    <bpmn:sequenceFlow id="f3" sourceRef="note" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

CALLS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="calls_out" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="ask">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="test.flaky" resultVariable="answer"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

failures_left = {"n": 0}


@service("test.flaky")
def flaky(call):
    if failures_left["n"]:
        failures_left["n"] -= 1
        raise TryAgain("the budget system did not answer")
    return {"ok": True}


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.ENGINE = {**settings.ENGINE, "STEP_RETRY_SECONDS": 0.001}


def stored(instance):
    return ProcessInstance.objects.get(pk=instance.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_value_no_database_stores_is_an_incident_fixed_by_migration_and_retry(owner):
    clock.set_time(START)
    api.deploy({"after_a_timer.bpmn": AFTER_A_TIMER.replace("SCRIPT", 'note = "a\\x00b"')})
    instance = api.start("after_a_timer").instance
    move_clock_to(START + timedelta(hours=1, seconds=1))  # the dispatcher hands the timer to the worker
    failed = stored(instance)
    assert failed.state == "failed" and failed.error_element == "wait" and failed.error_attempts == 1
    assert "NUL character" in failed.error
    [event] = AuditEvent.objects.filter(instance=instance, action="instance.fail")
    assert event.data == {"error": failed.error, "attempts": 1} and event.actor == "system"
    assert Timer.objects.get(instance=instance).state == Timer.WAITING, "no timer stays claimed"
    assert api.dispatch_due_timers() == {"instances": 0, "messages": 0, "signals": 0, "started": 0}, \
        "a failed instance is not tried again"

    api.deploy({"after_a_timer.bpmn": AFTER_A_TIMER.replace("SCRIPT", 'note = "ab"')}, note="fixed")
    assert api.migrate_instance(instance.id, 2, actor=owner).safe
    api.retry(instance.id, actor=owner, reason="script fixed in v2")
    done = stored(instance)
    assert done.state == "completed" and done.version.number == 2 and done.data["note"] == "ab"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failure_that_may_pass_is_tried_again_before_it_is_an_incident():
    api.deploy({"calls_out.bpmn": CALLS})
    failures_left["n"] = 2
    assert api.start("calls_out").instance.state == "completed", "the third attempt went through"
    failures_left["n"] = 5
    with pytest.raises(StepFailed, match="still failing after retries: the budget system did not answer"):
        api.start("calls_out")
    assert not ProcessInstance.objects.filter(state="failed").exists(), "a start that never committed left nothing"
    assert failures_left["n"] == 2, "three attempts"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_handler_that_keeps_failing_later_fails_its_instance_with_the_attempts(owner):
    clock.set_time(START)
    timed = CALLS.replace('<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>', '''<bpmn:outgoing>f0</bpmn:outgoing>
      </bpmn:startEvent><bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f0</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" />''').replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="start"', '<bpmn:sequenceFlow id="f1" sourceRef="wait"')
    api.deploy({"calls_out.bpmn": timed})
    instance = api.start("calls_out").instance
    failures_left["n"] = 3
    move_clock_to(START + timedelta(hours=1, seconds=1))
    failed = stored(instance)
    assert (failed.state, failed.error_attempts) == ("failed", 3)
    assert failed.error == "still failing after retries: the budget system did not answer"
    api.retry(instance.id, actor=owner)
    assert stored(instance).state == "completed" and stored(instance).error_attempts == 0
