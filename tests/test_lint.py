"""Lint after bpmnlint's recommended rules: warnings at their elements, in the CLI and the modeler, which do
not stop a deployment."""
import json

from django.urls import reverse

from engine import api

from .steps import command_output

# Drawn as bpmn.io draws (ids like Activity_0abc, no names on gateways), with what lint should say; its
# gateway's flows have conditions, as validation requires.
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_lint" name="走访登记" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_1" name="县(市、区)民政局">
      <bpmn:flowNodeRef>Activity_visit</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_note</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Activity_alone</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_0x1</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_2"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:outgoing>Flow_3</bpmn:outgoing><bpmn:outgoing>Flow_4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="Activity_visit" name="入户走访"><bpmn:incoming>Flow_2</bpmn:incoming><bpmn:incoming>Flow_3</bpmn:incoming><bpmn:outgoing>Flow_5</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="Activity_0x1"><bpmn:incoming>Flow_4</bpmn:incoming><bpmn:outgoing>Flow_6</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="Gateway_2"><bpmn:incoming>Flow_5</bpmn:incoming><bpmn:outgoing>Flow_7</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="Activity_note" name="登记走访记录"><bpmn:incoming>Flow_7</bpmn:incoming><bpmn:incoming>Flow_6</bpmn:incoming></bpmn:userTask>
    <bpmn:userTask id="Activity_alone" name="整理台账" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Gateway_1" targetRef="Activity_visit" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Gateway_1" targetRef="Activity_visit"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Gateway_1" targetRef="Activity_0x1"><bpmn:conditionExpression>other</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Activity_visit" targetRef="Gateway_2" />
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Activity_0x1" targetRef="Activity_note" />
    <bpmn:sequenceFlow id="Flow_7" sourceRef="Gateway_2" targetRef="Activity_note" />
  </bpmn:process>
</bpmn:definitions>"""

def line_of(needle):
    return next(i for i, line in enumerate(DIAGRAM.splitlines(), start=1) if needle in line)


EXPECTED = {
    ("end-event-required", "Process_lint"), ("no-duplicate-sequence-flows", "Flow_3"),
    ("fake-join", "Activity_visit"), ("fake-join", "Activity_note"), ("superfluous-gateway", "Gateway_2"),
    ("label-required", "Gateway_1"),
    ("label-required", "Activity_0x1"), ("no-disconnected", "Activity_alone"),
}


def test_each_rule_is_found_at_its_element():
    found = {(w.rule, w.element) for w in api.lint({"visits.bpmn": DIAGRAM})}
    assert found == EXPECTED
    [alone] = [w for w in api.lint({"visits.bpmn": DIAGRAM}) if w.rule == "no-disconnected"]
    assert alone.line == line_of('id="Activity_alone"') and alone.message == "“整理台账”没有任何连线，永远不会执行：请连上或删除"
    assert alone.severity == "warning" and alone.as_dict()["rule"] == "no-disconnected"


def test_warnings_alone_do_not_stop_validation_or_deployment(db):
    assert api.validate({"visits.bpmn": DIAGRAM}) == ["Process_lint"]
    assert api.deploy({"visits.bpmn": DIAGRAM}).created


def test_the_command_line_prints_warnings_and_still_says_valid(tmp_path, db):
    path = tmp_path / "visits.bpmn"
    path.write_text(DIAGRAM, encoding="utf-8")
    lines = command_output("bpmn", "validate", str(path)).splitlines()
    assert lines[-1] == "valid: Process_lint" and len(lines) == len(EXPECTED) + 1
    line = line_of('id="Activity_alone"')
    assert f"visits.bpmn:{line}: “整理台账”没有任何连线，永远不会执行：请连上或删除 [no-disconnected]" in lines


def test_the_modeler_marks_warnings_apart_from_errors(client, owner, deploy_bpmn):
    deploy_bpmn("review.bpmn")
    client.force_login(owner)
    url = reverse("webui:modeler_validate", kwargs={"key": "review", "number": 1})
    answer = client.post(url, json.dumps({"bpmn": DIAGRAM.replace('id="Process_lint"', 'id="review"')}),
                         content_type="application/json").json()
    assert answer["valid"] is True
    assert {p["severity"] for p in answer["problems"]} == {"warning"} and len(answer["problems"]) == len(EXPECTED)
