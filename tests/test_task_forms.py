"""Completing a task checks its form on the server as the browser shows it: over the task's data, with
messages in the user's language."""
import json

import pytest
from django.utils import translation

from engine import api
from engine.errors import InvalidInput

pytestmark = pytest.mark.django_db

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:collaboration id="c"><bpmn:participant id="p" processRef="detail_form" /></bpmn:collaboration>
  <bpmn:process id="detail_form" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="county" name="county_bureau">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>fill</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="填写说明">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formId" value="detail" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

# The explanation is asked for only where the task's data (not the submission) says it is needed.
FORM = {"id": "detail", "type": "default", "schemaVersion": 19, "components": [
    {"id": "f1", "type": "textfield", "key": "detail", "label": "说明", "validate": {"required": True},
     "conditional": {"hide": "=needs_detail = false"}}]}


@pytest.fixture
def started(offices):
    api.deploy({"detail_form.bpmn": DIAGRAM}, {"detail.form": json.dumps(FORM, ensure_ascii=False)})

    def start(needs_detail):
        [task] = api.start("detail_form", data={"county": "520102", "needs_detail": needs_detail}).open_tasks
        return task
    return start


def test_a_field_the_task_data_hides_is_not_required(started):
    done = api.complete_task(started(False).id, {}, actor="520102")
    assert done.task.state == "completed" and done.instance.state == "completed"


def test_a_field_the_task_data_shows_is_required(started):
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(started(True).id, {}, actor="520102")
    assert refused.value.errors == {"detail": "「说明」为必填项"}


def test_field_errors_come_in_the_users_language(started):
    task = started(True)
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        api.complete_task(task.id, {}, actor="520102")
    assert str(refused.value) == "Task “填写说明”: the form has errors"
    assert refused.value.errors == {"detail": '"说明" is required'}
