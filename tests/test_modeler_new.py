"""A process owner creates a process from a blank diagram or a pattern, edits and validates it, and deploys it."""
import json
import re

import pytest
from django.urls import reverse

from engine import api
from engine.api import calendar
from engine.models import DefinitionVersion

from .steps import china, move_clock_to, open_task

NEW = {"key": "station_visit", "name": "入户走访审批", "template": "approval",
       "first_office": "社工站", "second_office": "县(市、区)民政局"}


def post_json(client, name, body, key="station_visit"):
    return client.post(reverse(f"webui:{name}", kwargs={"key": key, "number": 0}), json.dumps(body),
                       content_type="application/json")


def page_xml(client, key="station_visit"):
    page = client.get(reverse("webui:modeler", kwargs={"key": key, "number": 0})).content.decode()
    data = json.loads(re.search(r'<script id="modeler-page" type="application/json">(.*?)</script>', page, re.S)[1])
    return page, data


def test_an_approval_process_is_created_validated_deployed_and_run(client, owner, offices):
    client.force_login(owner)
    assert "新建流程" in client.get(reverse("webui:modeler_definitions")).content.decode()
    created = client.post(reverse("webui:modeler_new"), NEW)
    assert created.status_code == 302 and created.url == "/modeler/station_visit/v0/"
    page, data = page_xml(client)
    assert "新流程，尚未部署" in page and data["fileName"] == "station_visit.bpmn"
    assert sorted(data["forms"]) == ["station_visit_review", "station_visit_submit"]
    assert 'name="社工站"' in data["xml"] and "<bpmndi:BPMNShape" in data["xml"]
    assert post_json(client, "modeler_validate", {"bpmn": data["xml"]}).json()["valid"] is True

    deployed = post_json(client, "modeler_deploy", {"bpmn": data["xml"], "note": "新建入户走访审批"})
    assert deployed.status_code == 200, deployed.content
    assert deployed.json()["created"][0]["number"] == 1
    version = DefinitionVersion.objects.get(definition__key="station_visit", number=1)
    assert version.note == "新建入户走访审批" and version.definition.name == "入户走访审批"
    assert client.get(reverse("webui:modeler", kwargs={"key": "station_visit", "number": 0})).status_code == 404

    move_clock_to(china(2026, 3, 2))
    instance = api.start("station_visit", "visit-1", {"county": "520102", "station": "520102"}).instance
    submit = open_task(instance, "submit")
    assert submit.lane == "station" and submit.due_at == calendar.add_workdays("2026-03-02", 10).at
    api.complete_task(submit.id, {"content": "走访 12 户"})
    api.complete_task(open_task(instance, "review").id, {"decision": "return", "comment": "补充照片"})
    api.complete_task(open_task(instance, "submit").id, {"content": "走访 12 户，附照片"})
    step = api.complete_task(open_task(instance, "review").id, {"decision": "approve"})
    assert step.instance.state == "completed"


@pytest.mark.parametrize("template", ["blank", "approval", "report", "supervision"])
def test_every_template_validates_for_any_office_pair(client, owner, template):
    client.force_login(owner)
    created = client.post(reverse("webui:modeler_new"), {**NEW, "key": f"p_{template}", "template": template,
                                                          "first_office": "承接社会组织",
                                                          "second_office": "省民政厅"})
    assert created.status_code == 302
    _page, data = page_xml(client, f"p_{template}")
    answer = post_json(client, "modeler_validate", {"bpmn": data["xml"]}, key=f"p_{template}").json()
    assert answer["valid"] is True, answer


def test_a_report_late_past_its_deadline_is_urged_by_the_supervising_office(client, owner, offices):
    client.force_login(owner)
    client.post(reverse("webui:modeler_new"), {**NEW, "key": "monthly_note", "template": "report",
                                               "first_office": "县(市、区)民政局", "second_office": "市(州)民政局"})
    _page, data = page_xml(client, "monthly_note")
    assert post_json(client, "modeler_deploy", {"bpmn": data["xml"], "note": "月报"}, key="monthly_note").status_code == 200
    move_clock_to(china(2026, 3, 2))
    instance = api.start("monthly_note", "note-1", {"county": "520102"}).instance
    move_clock_to(china(2026, 3, 17))  # ten working days later, a day past
    urge = open_task(instance, "urge")
    assert urge.lane == "prefecture_bureau" and urge.office == "5201"
    assert open_task(instance, "work").state == "open"  # the report is still to be written


def test_a_key_must_be_new_and_well_formed_and_only_owners_create(client, owner, offices, deploy_bpmn):
    deploy_bpmn("review.bpmn")
    client.force_login(offices["520102"])
    assert client.get(reverse("webui:modeler_new")).status_code == 403
    client.force_login(owner)
    taken = client.post(reverse("webui:modeler_new"), {**NEW, "key": "review"}).content.decode()
    assert "已有流程使用编号 review。" in taken
    bad = client.post(reverse("webui:modeler_new"), {**NEW, "key": "入户 走访"}).content.decode()
    assert "流程编号须以小写字母开头" in bad
    assert client.get(reverse("webui:modeler", kwargs={"key": "nothing_here", "number": 0})).status_code == 404


def test_a_discarded_new_process_goes_back_to_creating_one(client, owner):
    client.force_login(owner)
    client.post(reverse("webui:modeler_new"), NEW)
    answer = post_json(client, "modeler_discard", {}).json()
    assert answer == {"discarded": True, "next": "/modeler/new/"}
    assert client.get("/modeler/station_visit/v0/").status_code == 404
