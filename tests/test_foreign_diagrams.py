"""Diagrams drawn with other tools: Camunda Modeler (camunda:/zeebe: extensions, pools, message flows, DI)
and the bpmn.io demo (bpmn-js output with colours). They validate when their lanes name office roles,
deploy, run, and come back to a modeler exactly as they were drawn."""
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.errors import InvalidDefinition
from engine.models import DefinitionFile, HumanTask, Message, ProcessInstance
from engine.api import dispatch_due_timers
from tests.conftest import BPMN_DIR

pytestmark = pytest.mark.django_db

FOREIGN = BPMN_DIR / "foreign"
CAMUNDA = FOREIGN / "camunda_report_review.bpmn"
BPMNIO = FOREIGN / "bpmnio_service_record.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn",
      "zeebe": "http://camunda.org/schema/zeebe/1.0", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "bioc": "http://bpmn.io/schema/bpmn/biocolor/1.0"}


def deploy_file(path):
    bpmn, forms = read_files([path])
    return deploy(bpmn, forms).created[0]


def open_task(instance, element):
    return HumanTask.objects.get(instance=instance, bpmn_id=element, state="open")


@pytest.fixture(autouse=True)
def monday():
    clock.set_time(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))


def test_camunda_modeler_diagram_runs_with_its_lanes_offices(offices):
    deploy_file(CAMUNDA)
    instance = api.start("camunda_report_review", data={"county": "520102", "social_org": "org1"}).instance
    submit = open_task(instance, "Activity_submit")
    assert submit.office == "org1" and submit.lane == "social_org", "the lane 承接社会组织 names the role"
    api.complete_task(submit.id, {"visits": 12}, actor=offices["org1"])
    review = open_task(instance, "Activity_review")
    assert review.office == "520102"
    api.complete_task(review.id, {"approved": False}, actor=offices["520102"])  # the default flow: back
    api.complete_task(open_task(instance, "Activity_submit").id, {"visits": 14}, actor=offices["org1"])
    api.complete_task(open_task(instance, "Activity_review").id, {"approved": True}, actor=offices["520102"])
    assert Message.objects.filter(name="report_reviewed").count() == 1, "the message flow to the station's pool"
    instance = ProcessInstance.objects.get(pk=instance.pk)
    assert instance.current_elements == ["Event_wait"]
    clock.advance(timedelta(hours=1, seconds=1))
    dispatch_due_timers()
    instance = ProcessInstance.objects.get(pk=instance.pk)
    assert instance.state == "completed" and instance.data["visits"] == 14


def test_camunda_extensions_and_layout_come_back_unchanged(offices):
    version = deploy_file(CAMUNDA)
    original = CAMUNDA.read_text(encoding="utf-8")
    stored = DefinitionFile.objects.get(version=version, kind=DefinitionFile.BPMN)
    assert stored.name == "camunda_report_review.bpmn" and stored.content == original
    returned = api.diagram("camunda_report_review", 1)["bpmn"]["camunda_report_review.bpmn"]
    root = etree.fromstring(returned.encode("utf-8"))
    assert root.get("exporter") == "Camunda Modeler"
    assert root.xpath("//camunda:formField[@id='visits']/camunda:validation/camunda:constraint/@config",
                      namespaces=NS) == ["0"]
    assert root.xpath("//bpmn:userTask[@id='Activity_submit']/@camunda:assignee", namespaces=NS) == ["${social_org}"]
    assert root.xpath("//zeebe:formDefinition/@formKey", namespaces=NS) == ["camunda-forms:bpmn:monthly"]
    assert root.xpath("//camunda:taskListener/@class", namespaces=NS) == ["org.example.NotifyListener"]
    assert len(root.xpath("//bpmndi:BPMNShape", namespaces=NS)) == 11  # pools, lanes, nodes
    assert root.xpath("//bpmn:messageFlow/@targetRef", namespaces=NS) == ["Participant_station"]


def test_comparing_camunda_versions_reports_their_extension_changes(offices):
    deploy_file(CAMUNDA)
    changed = (CAMUNDA.read_text(encoding="utf-8")
               .replace('<zeebe:property name="reportKind" value="monthly" />',
                        '<zeebe:property name="reportKind" value="quarterly" />')
               .replace('camunda:candidateGroups="county_bureau"', 'camunda:candidateGroups="prefecture_bureau"')
               .replace('<dc:Bounds x="300" y="260" width="100" height="80" />',
                        '<dc:Bounds x="320" y="260" width="100" height="80" />'))
    deploy({"camunda_report_review.bpmn": changed})
    diff = api.compare_versions("camunda_report_review", 1, 2)
    changes = {e["id"]: e["changes"] for e in diff["changed"]}
    assert changes == {
        "Activity_submit": {"properties.reportKind": {"from": "monthly", "to": "quarterly"}},
        "Activity_review": {"attributes.camunda:candidateGroups": {"from": "county_bureau",
                                                                   "to": "prefecture_bureau"}},
    }, "moving a shape is layout, not a change of the process"


def test_bpmn_io_demo_diagram_runs_its_parallel_branches(offices):
    from workflows.models import Office, OfficeKind

    Office.objects.create(code="520102-s1", name="某街道社工站", kind=OfficeKind.STATION,
                          parent=Office.objects.get(code="520102"))
    deploy_file(BPMNIO)
    instance = api.start("Process_1", data={"county": "520102", "station": "520102-s1"}).instance
    record = open_task(instance, "Activity_0x1y2z3")
    assert (record.name, record.office) == ("填写服务记录", "520102-s1")
    api.complete_task(record.id, {"families": 3})
    offices_by_task = {t.bpmn_id: t.office for t in HumanTask.objects.filter(instance=instance, state="open")}
    assert offices_by_task == {"Activity_1a1a1a1": "520102-s1", "Activity_1b1b1b1": "520102"}
    api.complete_task(open_task(instance, "Activity_1b1b1b1").id, {}, actor=offices["520102"])
    assert ProcessInstance.objects.get(pk=instance.pk).state == "running", "the join waits for both branches"
    api.complete_task(open_task(instance, "Activity_1a1a1a1").id, {})
    assert ProcessInstance.objects.get(pk=instance.pk).state == "completed"
    returned = api.diagram("Process_1", 1)["bpmn"]["bpmnio_service_record.bpmn"]
    assert returned == BPMNIO.read_text(encoding="utf-8")
    root = etree.fromstring(returned.encode("utf-8"))
    assert root.xpath("//bpmndi:BPMNShape[@bpmnElement='Activity_0x1y2z3']/@bioc:fill", namespaces=NS) == ["#bbdefb"]
    assert root.xpath("//bpmn:textAnnotation/bpmn:text/text()", namespaces=NS) == ["每次入户服务后填写"]


def test_bpmn_io_defaults_are_refused_with_what_to_change(offices):
    demo = BPMNIO.read_text(encoding="utf-8")
    with pytest.raises(InvalidDefinition, match='没有可执行的流程'):
        deploy({"diagram.bpmn": demo.replace('isExecutable="true"', 'isExecutable="false"')})
    with pytest.raises(InvalidDefinition) as refused:
        deploy({"diagram.bpmn": demo.replace('name="社工站"', 'name="Lane 1"')})
    messages = [p.message for p in refused.value.problems]
    assert any("Lane 1" in m and "填写服务记录" in m for m in messages), messages


POLICY_EVENTS = FOREIGN / "camunda_policy_events.bpmn"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_camunda_events_run_through_the_command_line(offices):
    """A Camunda Modeler diagram's message start, signal boundary event and timer-cycle start (an unquoted ISO
    repetition with xsi:type), driven as another system would: `bpmn send`, `bpmn signal`, `bpmn fire-timers`."""
    from .steps import command_output

    assert "valid: camunda_policy_notice, camunda_monthly_check" in command_output("bpmn", "validate",
                                                                                  str(POLICY_EVENTS))
    command_output("bpmn", "deploy", str(POLICY_EVENTS))
    command_output("bpmn", "send", "policy_published", "--data", '{"county": "520102", "policy": "驻站社工补贴提标"}')
    [notice] = ProcessInstance.objects.filter(version__definition__key="camunda_policy_notice")
    assert notice.data == {"county": "520102", "policy": "驻站社工补贴提标"}
    assert open_task(notice, "Activity_implement").office == "520102", "the lane 县(市、区)民政局 names the role"
    assert "reached 1 instance(s)" in command_output("bpmn", "signal", "policy_revoked")
    notice = ProcessInstance.objects.get(pk=notice.pk)
    assert notice.state == "completed" and "Event_end_revoked" in notice.completed_elements
    assert "Event_end" not in notice.completed_elements

    clock.set_time(datetime(2026, 6, 1, 2, tzinfo=timezone.utc))  # 1 April, 1 May and 1 June, 09:00, passed
    command_output("bpmn", "fire-timers")
    checks = ProcessInstance.objects.filter(version__definition__key="camunda_monthly_check")
    assert [(c.state, c.data.get("checked")) for c in checks] == [("completed", True)] * 3
    clock.set_time(datetime(2026, 8, 1, 2, tzinfo=timezone.utc))
    command_output("bpmn", "fire-timers")
    assert checks.count() == 3, "R3: three times, then no more"
