"""Version history, pinning and comparing versions of a process definition."""
import json
from datetime import datetime, timezone
from functools import partial

import pytest
from django.core.management import CommandError

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.errors import NotFound, PermissionDenied
from engine.models import AuditEvent, ProcessInstance
from tests.conftest import BPMN_DIR
from tests.steps import command_output

pytestmark = pytest.mark.django_db

AGREEMENT = {"signed_on": "2026-03-02", "county": "520102", "social_org": "org1"}


def deploy_policy(version, actor=None):
    bpmn, forms = read_files([BPMN_DIR / "policy" / version / "placement.bpmn"])
    return deploy(bpmn, forms, note=f"policy {version}", actor=actor).created[0]


def test_history_tells_who_when_note_hash_and_instances_by_state(offices, owner):
    clock.set_time(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))
    first = deploy_policy("v1", actor=owner)
    for _ in range(2):
        api.start("placement", data=AGREEMENT)
    cancelled = api.start("placement", data=AGREEMENT).instance
    api.cancel(cancelled.id, reason="agreement withdrawn")
    deploy_policy("v2")
    history = api.version_history("placement")
    assert [v["number"] for v in history] == [2, 1]
    old = history[1]
    assert (old["deployed_by"], old["note"], old["content_hash"]) == ("gz", "policy v1", first.content_hash)
    assert old["deployed_at"] == datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert old["instances"] == {"running": 2, "cancelled": 1, "total": 3}
    assert not old["is_current"] and history[0]["is_current"] and history[0]["is_latest"]
    assert history[0]["instances"] == {"total": 0}
    with pytest.raises(NotFound):
        api.version_history("no_such_process")


def test_pinning_makes_new_instances_start_on_the_pinned_version(offices, owner):
    deploy_policy("v1")
    deploy_policy("v2")
    with pytest.raises(PermissionDenied):
        api.pin_version("placement", 1, actor=offices["520102"])
    api.pin_version("placement", 1, actor=owner)
    assert [v["is_current"] for v in api.version_history("placement")] == [False, True]
    assert ProcessInstance.objects.get(pk=api.start("placement", data=AGREEMENT).instance.pk).version.number == 1
    api.unpin_version("placement", actor=owner)
    assert ProcessInstance.objects.get(pk=api.start("placement", data=AGREEMENT).instance.pk).version.number == 2
    pinned = AuditEvent.objects.get(action="definition.pinned")
    assert pinned.actor == "gz" and pinned.data == {"key": "placement", "version": 1, "previous": None}
    assert AuditEvent.objects.get(action="definition.unpinned").data == {"key": "placement", "previous": 1}
    with pytest.raises(NotFound):
        api.pin_version("placement", 9, actor=owner)


def test_comparison_names_changed_elements_and_what_changed(offices):
    deploy_policy("v1")
    deploy_policy("v2")
    diff = api.compare_versions("placement", 1, 2)
    assert diff["added"] == [] and diff["removed"] == []
    changed = {e["id"]: e for e in diff["changed"]}
    assert set(changed) == {"place_workers", "late"}
    assert changed["place_workers"]["changes"] == {"properties.dueDate": {
        "from": "add_workdays(signed_on, 15)", "to": "add_workdays(signed_on, 10)"}}
    assert changed["late"]["changes"] == {"timer.timeDate": {
        "from": "add_workdays(signed_on, 15)", "to": "add_workdays(signed_on, 10)"}}
    assert changed["late"]["type"] == "boundaryEvent" and changed["late"]["name"] == "到岗期限"
    assert diff["markers"] == {"place_workers": "changed", "late": "changed"}


def test_comparison_finds_added_removed_and_rewired_elements(offices):
    deploy_policy("v1")
    v1 = (BPMN_DIR / "policy" / "v1" / "placement.bpmn").read_text(encoding="utf-8")
    # v2 of this test: the county confirms in a new step "核查" before the end, and there is no escalation.
    v2 = (v1.replace('<bpmn:endEvent id="placed"><bpmn:incoming>f_confirmed</bpmn:incoming></bpmn:endEvent>',
                     '<bpmn:userTask id="check" name="核查"><bpmn:incoming>f_confirmed</bpmn:incoming>'
                     '<bpmn:outgoing>f_checked</bpmn:outgoing></bpmn:userTask>'
                     '<bpmn:endEvent id="placed"><bpmn:incoming>f_checked</bpmn:incoming></bpmn:endEvent>'
                     '<bpmn:sequenceFlow id="f_checked" sourceRef="check" targetRef="placed" />')
          .replace('sourceRef="confirm_arrival" targetRef="placed"', 'sourceRef="confirm_arrival" targetRef="check"')
          .replace('<bpmn:flowNodeRef>escalate</bpmn:flowNodeRef>', '<bpmn:flowNodeRef>check</bpmn:flowNodeRef>'))
    v2 = v2.replace('<bpmn:userTask id="escalate" name="逾期督办"><bpmn:incoming>f_late</bpmn:incoming>'
                    '<bpmn:outgoing>f_escalated</bpmn:outgoing></bpmn:userTask>', '')
    v2 = v2.replace('<bpmn:endEvent id="escalated"><bpmn:incoming>f_escalated</bpmn:incoming></bpmn:endEvent>',
                    '<bpmn:endEvent id="escalated"><bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>')
    v2 = v2.replace('<bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="escalate" />',
                    '<bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="escalated" />')
    v2 = v2.replace('<bpmn:sequenceFlow id="f_escalated" sourceRef="escalate" targetRef="escalated" />', '')
    deploy({"placement.bpmn": v2})
    diff = api.compare_versions("placement", 1, 2)
    assert {e["id"] for e in diff["added"]} == {"check", "f_checked"}
    assert {e["id"] for e in diff["removed"]} == {"escalate", "f_escalated"}
    changed = {e["id"]: e["changes"] for e in diff["changed"]}
    assert changed["f_confirmed"] == {"attributes.targetRef": {"from": "placed", "to": "check"}}
    assert changed["placed"]["incoming"] == {"from": ["f_confirmed"], "to": ["f_checked"]}
    assert changed["f_late"] == {"attributes.targetRef": {"from": "escalate", "to": "escalated"}}
    assert diff["markers"]["check"] == "added" and diff["markers"]["escalate"] == "removed"


def test_the_modeler_gets_the_deployed_xml_back(offices):
    deploy_policy("v1")
    files = api.diagram("placement", 1)
    original = (BPMN_DIR / "policy" / "v1" / "placement.bpmn").read_text(encoding="utf-8")
    assert files == {"bpmn": {"placement.bpmn": original}, "decisions": {}, "forms": {}}


run = partial(command_output, "bpmn")


def test_command_line_versions_diff_pin(offices):
    deploy_policy("v1")
    api.start("placement", data=AGREEMENT)
    deploy_policy("v2")
    listing = run("versions", "placement")
    assert "v1" in listing and "running 1" in listing and "policy v2" in listing
    assert json.loads(run("--json", "versions", "placement"))[0]["is_current"] is True
    diff = run("diff", "placement", "1", "2")
    assert "~ place_workers (userTask) 社工到岗" in diff
    assert "properties.dueDate: add_workdays(signed_on, 15) -> add_workdays(signed_on, 10)" in diff
    assert run("diff", "placement", "2", "2") == "no differences\n"
    assert "start on version 1" in run("pin", "placement", "1")
    assert json.loads(run("--json", "versions", "placement"))[1]["is_pinned"] is True
    assert "latest version" in run("unpin", "placement")
    with pytest.raises(CommandError, match="没有流程定义"):
        run("versions", "nothing")
