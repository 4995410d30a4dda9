"""A message that no instance waits for starts the process whose start event catches it, once."""
import pytest

from engine import api
from engine.models import AuditEvent, Message, ProcessInstance

ON_REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:message id="m" name="emergency_reported" />
  <bpmn:process id="on_report" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m"><bpmn:extensionElements>
        <spiffworkflow:messageVariable>report</spiffworkflow:messageVariable></bpmn:extensionElements>
      </bpmn:messageEventDefinition></bpmn:startEvent>
    <bpmn:scriptTask id="note"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>seen = report["station"]</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="note" />
    <bpmn:sequenceFlow id="f2" sourceRef="note" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_nobody_waits_for_starts_its_process_with_its_payload():
    api.deploy({"on_report.bpmn": ON_REPORT})
    message = api.send_message("emergency_reported", {"county": "520102"}, {"station": "520102-s1"},
                               actor="provincial-platform")  # delivered once the send commits
    [instance] = ProcessInstance.objects.all()
    assert instance.state == "completed" and instance.started_by == "provincial-platform"
    assert instance.data["seen"] == "520102-s1" and instance.data["county"] == "520102", "the correlation is kept"
    assert Message.objects.get(pk=message.pk).delivered_to_id == instance.pk
    assert api.deliver_message(message.id) is None, "a message starts one instance at most"
    assert ProcessInstance.objects.count() == 1
    assert AuditEvent.objects.filter(action="message.delivered", instance=instance).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_no_process_starts_with_waits_for_an_instance():
    api.deploy({"on_report.bpmn": ON_REPORT})
    message = api.send_message("something_else", {"county": "520102"})
    assert not ProcessInstance.objects.exists() and Message.objects.get(pk=message.pk).state == Message.PENDING


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_start_deployed_since_this_process_last_looked_is_found():
    plain = ON_REPORT.replace('<bpmn:messageEventDefinition messageRef="m"><bpmn:extensionElements>\n'
                              '        <spiffworkflow:messageVariable>report</spiffworkflow:messageVariable>'
                              '</bpmn:extensionElements>\n      </bpmn:messageEventDefinition>', '').replace(
        'report["station"]', '"none"')
    api.deploy({"on_report.bpmn": plain})
    assert api.start("on_report").instance.version.number == 1  # this process now remembers version 1
    api.deploy({"on_report.bpmn": ON_REPORT}, note="started by the report")
    api.send_message("emergency_reported", {"county": "520102"}, {"station": "520102-s1"})
    started = ProcessInstance.objects.get(version__number=2)
    assert started.state == "completed" and started.data["seen"] == "520102-s1"
