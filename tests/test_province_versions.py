"""Each province deploys, pins and migrates its own versions of a definition: a policy change in one province (10
working days to place the social workers instead of 15) leaves the others, and Guizhou's real sample, as they were."""
import json
from datetime import datetime, timezone

import pytest
from django.urls import reverse

from engine import api
from engine.api import clock, deploy, read_files
from engine.errors import InvalidInput, PermissionDenied
from engine.models import AuditEvent, HumanTask, ProcessInstance, ScheduledStart
from workflows.directory import forget_office_tree
from workflows.national import load_national
from workflows.sample_data import PROVINCE_CODE, load_sample_data
from tests.conftest import BPMN_DIR

from .steps import china, command_output, move_clock_to, reload

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 China time; March 2026 has no holiday
END_OF_23_MARCH = datetime(2026, 3, 23, 16, 0, tzinfo=timezone.utc)  # 15 working days after 2 March, 24:00
END_OF_16_MARCH = datetime(2026, 3, 16, 16, 0, tzinfo=timezone.utc)  # 10 working days after 2 March
A, B = "110000", "120000"  # the generated provinces' division codes: their tenants
A_OWNER, B_OWNER = "syn-11-civil-affairs", "syn-12-civil-affairs"
A_COUNTY, B_COUNTY, GZ_COUNTY = "syn-110101", "syn-120101", "520526"


@pytest.fixture
def nation(django_user_model):
    """Guizhou's sample and a generated nation of two provinces, each with its process owner."""
    clock.set_time(MONDAY)
    load_sample_data("pw")
    load_national(2000, "pw", seed=1)
    forget_office_tree()  # bulk-created: no signal told this process
    return {name: django_user_model.objects.get(username=name) for name in (PROVINCE_CODE, A_OWNER, B_OWNER)}


def policy(version):
    return read_files([BPMN_DIR / "policy" / version / "placement.bpmn"])


def agreement(county, n=1):
    return api.start("placement", business_key=f"agreement-{county}-{n}", data={
        "signed_on": "2026-03-02", "county": county, "social_org": "syn-org-0001"}).instance


def placement_due(instance):
    return HumanTask.objects.get(instance=instance, bpmn_id="place_workers").due_at


def test_a_province_policy_change_deploys_without_touching_another(nation):
    shared = deploy(*policy("v1"), note="15 working days", actor=nation[PROVINCE_CODE]).created[0]
    assert shared.tenant == "", "Guizhou's owner deploys the shared versions, as before"
    waiting_a, waiting_b, waiting_gz = agreement(A_COUNTY), agreement(B_COUNTY), agreement(GZ_COUNTY)
    assert [i.tenant for i in (waiting_a, waiting_b, waiting_gz)] == [A, B, ""]

    own = deploy(*policy("v2"), note="10 working days in province 11", actor=nation[A_OWNER]).created[0]
    assert (own.number, own.tenant) == (2, A)
    new_a, new_b, new_gz = agreement(A_COUNTY, 2), agreement(B_COUNTY, 2), agreement(GZ_COUNTY, 2)
    assert (new_a.version.number, placement_due(new_a)) == (2, END_OF_16_MARCH)
    assert (new_b.version.number, placement_due(new_b)) == (1, END_OF_23_MARCH)
    assert (new_gz.version.number, placement_due(new_gz)) == (1, END_OF_23_MARCH)
    deployed = AuditEvent.objects.get(action="definition.deployed", data__version=2)
    assert deployed.actor == A_OWNER and deployed.data["tenant"] == A

    # Province 12's owner neither sees nor uses province 11's version.
    b_owner = nation[B_OWNER]
    assert [v["number"] for v in api.version_history("placement", actor=b_owner)] == [1]
    for refused in (lambda: api.get_version("placement", 2, actor=b_owner),
                    lambda: api.diagram("placement", 2, actor=b_owner),
                    lambda: api.pin_version("placement", 2, actor=b_owner),
                    lambda: api.pin_version("placement", 1, actor=b_owner, tenant=A),
                    lambda: api.deploy(*policy("v2"), note="for another", actor=b_owner, tenant=A),
                    lambda: api.preview_migration("placement", 2, actor=b_owner),
                    lambda: api.migrate_instance(waiting_a.pk, 1, actor=b_owner)):
        with pytest.raises(PermissionDenied):
            refused()
    a_history = api.version_history("placement", actor=nation[A_OWNER])
    assert [(v["number"], v["tenant"], v["is_current"]) for v in a_history] == [(2, A, True), (1, "", False)]
    assert a_history[0]["tenant_label"] == "合成11省民政厅"
    assert [v["number"] for v in api.version_history("placement", actor=nation[PROVINCE_CODE])] == [2, 1]

    # Migrating province 11's running instances to its version leaves province 12's and Guizhou's alone.
    plans = api.preview_migration("placement", 2, actor=nation[A_OWNER])
    assert [p["instance"] for p in plans] == [str(waiting_a.pk)]
    job = api.run_migration_job(api.create_migration_job("placement", 2, actor=nation[A_OWNER]).pk)
    assert (job.migrated, job.skipped, job.failed) == (1, 0, 0)
    assert (reload(waiting_a).version.number, placement_due(waiting_a)) == (2, END_OF_16_MARCH)
    for untouched in (waiting_b, waiting_gz, new_b, new_gz):
        assert (reload(untouched).version.number, placement_due(untouched)) == (1, END_OF_23_MARCH)
    migrated = AuditEvent.objects.get(action="instance.migrated")
    assert migrated.actor == A_OWNER and migrated.data["tenant"] == A
    assert AuditEvent.objects.get(action="migration.requested").data["tenant"] == A
    refused = api.migrate_instance(waiting_b.pk, 2)  # even the system may not move it onto another's version
    assert [r["code"] for r in refused.reasons] == ["other_tenant"] and reload(waiting_b).version.number == 1


def test_pins_are_per_province_and_a_shared_change_leaves_a_province_on_its_own(nation):
    deploy(*policy("v1"), note="15", actor=nation[PROVINCE_CODE])
    deploy(*policy("v2"), note="10", actor=nation[A_OWNER])
    api.pin_version("placement", 1, actor=nation[A_OWNER])
    assert agreement(A_COUNTY).version.number == 1
    pinned = AuditEvent.objects.get(action="definition.pinned")
    assert pinned.actor == A_OWNER and pinned.data == {"key": "placement", "version": 1, "previous": None,
                                                         "tenant": A}
    api.unpin_version("placement", actor=nation[A_OWNER])
    assert agreement(A_COUNTY, 2).version.number == 2
    assert AuditEvent.objects.get(action="definition.unpinned").data["tenant"] == A
    with pytest.raises(InvalidInput):
        api.pin_version("placement", 2, actor=nation[PROVINCE_CODE])  # the shared pin is a shared version

    # A later shared version reaches province 12 and Guizhou; province 11 stays on its own.
    third = deploy(*policy("v3"), note="counted from workers_from", actor=nation[PROVINCE_CODE]).created[0]
    assert (third.number, third.tenant) == (3, "")
    data = {"signed_on": "2026-03-02", "workers_from": "2026-03-02", "social_org": "syn-org-0001"}
    started = {county: api.start("placement", data={**data, "county": county}).instance
               for county in (A_COUNTY, B_COUNTY, GZ_COUNTY)}
    assert {county: i.version.number for county, i in started.items()} == {A_COUNTY: 2, B_COUNTY: 3, GZ_COUNTY: 3}


def test_a_province_timer_start_schedule_starts_its_own_counties_only(nation):
    """A tenant's version of a process that starts itself has its own schedule; the shared one no longer starts
    that tenant's instances."""
    def yearly(days):
        return {"yearly.bpmn": f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:flow="http://shegong-flow.cn/schema/bpmn/1.0"
    id="yearly_defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="yearly" name="年度计划" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="county_bureau"><bpmn:flowNodeRef>plan</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start">
      <bpmn:extensionElements>
        <flow:startWith>[{{"county": c, "year": occurrence.year, "business_key": f"plan-{{occurrence.year}}-{{c}}"}} for c in ("{A_COUNTY}", "{B_COUNTY}", "{GZ_COUNTY}")]</flow:startWith>
      </bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>"R/2026-04-01T09:00:00+08:00/P1Y"</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:userTask id="plan" name="编制计划">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="dueDate" value="add_workdays(now(), {days})" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="plan" />
    <bpmn:sequenceFlow id="f2" sourceRef="plan" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""}

    deploy(yearly(15), note="15", actor=nation[PROVINCE_CODE])
    deploy(yearly(10), note="10 in province 11", actor=nation[A_OWNER])
    move_clock_to(china(2026, 4, 1, 9, 1))
    started = {i.data["county"]: i for i in ProcessInstance.objects.filter(version__definition__key="yearly")}
    assert {county: (i.version.number, i.tenant) for county, i in started.items()} == {
        A_COUNTY: (2, A), B_COUNTY: (1, B), GZ_COUNTY: (1, "")}
    assert sorted(ScheduledStart.objects.values_list("tenant", "instances")) == [("", 2), (A, 1)]
    move_clock_to(china(2026, 4, 1, 10))
    assert ProcessInstance.objects.filter(version__definition__key="yearly").count() == 3, "never twice"


def test_the_command_line_deploys_pins_and_lists_for_a_tenant(nation, tmp_path):
    bpmn, _forms = policy("v1")
    path = tmp_path / "placement.bpmn"
    path.write_bytes(bpmn["placement.bpmn"])
    command_output("bpmn", "deploy", str(path), "--note", "shared")
    path.write_bytes(policy("v2")[0]["placement.bpmn"])
    out = command_output("bpmn", "deploy", str(path), "--note", "province 11", "--tenant", A)
    assert out == f"deployed placement version 2 for tenant {A}\n"
    command_output("bpmn", "pin", "placement", "1", "--tenant", A)
    assert agreement(A_COUNTY).version.number == 1
    listing = command_output("bpmn", "versions", "placement", "--tenant", A)
    assert "合成11省民政厅" in listing


def test_the_pages_and_the_api_show_and_take_the_province(nation, client):
    deploy(*policy("v1"), note="15", actor=nation[PROVINCE_CODE])
    client.force_login(nation[A_OWNER])
    editor = client.get(reverse("webui:modeler", kwargs={"key": "placement", "number": 1}))
    assert "部署为：合成11省民政厅" in editor.content.decode()
    deployed = client.post(reverse("webui:modeler_deploy", kwargs={"key": "placement", "number": 1}),
                           json.dumps({"bpmn": policy("v2")[0]["placement.bpmn"].decode(), "note": "十个工作日"}),
                           content_type="application/json")
    assert deployed.status_code == 200, deployed.content
    assert [(c["number"], c["tenant"]) for c in deployed.json()["created"]] == [(2, A)]
    listing = client.get(reverse("webui:modeler_definitions")).content.decode()
    assert "自有版本" in listing
    history = client.get(reverse("webui:modeler_history", kwargs={"key": "placement"})).content.decode()
    assert 'data-version="2"' in history and "合成11省民政厅" in history

    client.force_login(nation[B_OWNER])
    assert client.get(reverse("webui:modeler", kwargs={"key": "placement", "number": 2})).status_code == 403
    history = client.get(reverse("webui:modeler_history", kwargs={"key": "placement"})).content.decode()
    assert 'data-version="2"' not in history and 'data-version="1"' in history
    client.post(reverse("webui:modeler_pin", kwargs={"key": "placement"}), {"number": "2", "tenant": A})
    assert not AuditEvent.objects.filter(action="definition.pinned").exists()
    versions = client.get("/api/v1/definitions/placement/versions/")
    assert [(v["number"], v["tenant"]) for v in versions.json()] == [(1, "")]
    assert [(d["key"], d["latest_version"]) for d in client.get("/api/v1/definitions/").json()["results"]] == [
        ("placement", 1)]
    refused = client.post("/api/v1/definitions/deploy/", json.dumps({
        "files": {"placement.bpmn": policy("v3")[0]["placement.bpmn"].decode()}, "note": "for 11", "tenant": A}),
        content_type="application/json")
    assert refused.status_code == 403, refused.content
    created = client.post("/api/v1/definitions/deploy/", json.dumps({
        "files": {"placement.bpmn": policy("v3")[0]["placement.bpmn"].decode()}, "note": "ours"}),
        content_type="application/json")
    assert created.status_code == 201 and created.json()["created"] == [{"key": "placement", "version": 3,
                                                                          "tenant": B}]

    # Guizhou's owner sees every province's, and what is current for each.
    client.force_login(nation[PROVINCE_CODE])
    versions = client.get("/api/v1/definitions/placement/versions/?tenant=" + A).json()
    assert [(v["number"], v["tenant"], v["is_current"]) for v in versions] == [(3, B, False), (2, A, True),
                                                                                (1, "", False)]
    page = client.get(reverse("webui:modeler_history", kwargs={"key": "placement"}) + "?tenant=" + B).content.decode()
    assert "按合成12省民政厅显示" in page


def test_a_provinces_dashboard_shows_its_own_versions_on_the_heat_map(nation, client):
    shared = deploy(*policy("v1"), note="15 working days", actor=nation[PROVINCE_CODE]).created[0]
    own = deploy(*policy("v2"), note="10 working days in province 11", actor=nation[A_OWNER]).created[0]
    client.force_login(nation[A_OWNER])
    # Unless one is chosen, the version the province's new instances start on.
    page = client.get("/dashboard/?year=2026")
    assert page.context["version"] == own
    assert {v.pk for v in page.context["versions"]} == {shared.pk, own.pk}
    assert client.get(f"/dashboard/?year=2026&version={shared.pk}").context["version"] == shared
    client.force_login(nation[B_OWNER])
    page = client.get(f"/dashboard/?year=2026&version={own.pk}")  # another province's: not offered, not shown
    assert [v.pk for v in page.context["versions"]] == [shared.pk] and page.context["version"] == shared
