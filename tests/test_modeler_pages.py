"""The modeler's pages: who may deploy, validation located on elements, no-change refusal, drafts, history."""
import json

import pytest
from django.urls import reverse

from engine.models import DefinitionVersion, ProcessInstance
from engine import api

from .conftest import BPMN_DIR

pytestmark = pytest.mark.django_db

KEY = "county_review"
DIAGRAM = (BPMN_DIR / "county_review.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def deployed(deploy_bpmn):
    return deploy_bpmn("county_review.bpmn", note="first").created[0]


def client_for(client, user):
    client.force_login(user)
    return client


def post_json(client, name, body, number=1):
    url = reverse(f"webui:{name}", kwargs={"key": KEY, "number": number})
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_process_owner_deploys_a_changed_diagram_with_a_note(client, owner, deployed):
    client_for(client, owner)
    changed = DIAGRAM.replace('"P2D"', '"P3D"')
    response = post_json(client, "modeler_deploy", {"bpmn": changed, "note": "公示期改为三天"})
    assert response.status_code == 200, response.content
    assert [(c["key"], c["number"]) for c in response.json()["created"]] == [(KEY, 2)]
    version = DefinitionVersion.objects.get(definition__key=KEY, number=2)
    assert (version.note, version.deployed_by) == ("公示期改为三天", "gz")
    assert '"P3D"' in version.files.get(name="county_review.bpmn").content
    assert version.files.filter(form_id="plan").exists(), "the version's forms come along"


def test_identical_content_is_refused_as_no_change(client, owner, deployed):
    client_for(client, owner)
    response = post_json(client, "modeler_deploy", {"bpmn": DIAGRAM, "note": "again"})
    assert response.status_code == 409
    assert "没有变化" in response.json()["error"]
    assert DefinitionVersion.objects.filter(definition__key=KEY).count() == 1


def test_only_a_process_owner_may_deploy(client, offices, deployed):
    # A supervisor of a county bureau, and a provincial user who is not a process owner.
    for user in (offices["520102"], offices["gz"]):
        client_for(client, user)
        response = post_json(client, "modeler_deploy", {"bpmn": DIAGRAM.replace('"P2D"', '"P9D"'), "note": "x"})
        assert response.status_code == 403
        assert "流程负责人" in response.json()["error"]
    assert DefinitionVersion.objects.filter(definition__key=KEY).count() == 1


def test_a_note_is_required(client, owner, deployed):
    client_for(client, owner)
    response = post_json(client, "modeler_deploy", {"bpmn": DIAGRAM.replace('"P2D"', '"P3D"'), "note": "  "})
    assert response.status_code == 400
    assert "变更说明" in response.json()["error"]


def test_validation_puts_a_broken_timer_on_its_event(client, owner, offices, deployed):
    client_for(client, offices["520102"])
    broken = DIAGRAM.replace('"P2D"', "add_workdays(now(), ")
    assert post_json(client, "modeler_validate", {"bpmn": broken}).status_code == 403, "validating is the owners'"
    client_for(client, owner)
    response = post_json(client, "modeler_validate", {"bpmn": broken})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    # The problem is in the timer's definition; the page marks the event that draws it.
    assert [(p["element"], "写法有误" in p["message"]) for p in body["problems"]] == [("cool_off", True)]
    assert body["problems"][0]["line"] == DIAGRAM.splitlines().index(
        next(line for line in DIAGRAM.splitlines() if '"P2D"' in line)) + 1


def test_validation_of_a_valid_diagram_and_of_an_unknown_lane_role(client, owner, deployed):
    client_for(client, owner)
    assert post_json(client, "modeler_validate", {"bpmn": DIAGRAM}).json() == {
        "valid": True, "problems": [], "processes": [KEY]}
    body = post_json(client, "modeler_validate", {"bpmn": DIAGRAM.replace('name="county_bureau"',
                                                                          'name="乡镇"')}).json()
    assert [p["element"] for p in body["problems"]] == ["review"]
    assert "乡镇" in body["problems"][0]["message"]


def test_a_schema_error_known_only_by_line_is_put_on_the_element_there(client, owner, deployed):
    client_for(client, owner)
    broken = DIAGRAM.replace('<bpmn:endEvent id="done" name="完成">', '<bpmn:endEvent id="done" name="完成" bogus="1">')
    problems = post_json(client, "modeler_validate", {"bpmn": broken}).json()["problems"]
    assert problems and all(p["element"] == "done" for p in problems), problems


def test_a_saved_form_draft_is_validated_and_deployed_with_the_diagram(client, owner, deployed):
    client_for(client, owner)
    plan = json.loads(deployed.files.get(form_id="plan").content)
    plan["components"].append({"type": "textfield", "key": "contact", "label": "联系人", "id": "f_contact"})
    response = post_json(client, "modeler_draft", {"forms": {"plan.form": json.dumps(plan, ensure_ascii=False)}})
    assert response.status_code == 200
    page = client.get(reverse("webui:modeler_form", kwargs={"key": KEY, "number": 1, "form_id": "plan"}))
    assert "f_contact" in page.content.decode()
    response = post_json(client, "modeler_deploy", {"bpmn": DIAGRAM, "note": "表单加联系人"})
    assert response.status_code == 200, response.content
    form = DefinitionVersion.objects.get(definition__key=KEY, number=2).form("plan")
    assert [c["key"] for c in form["components"]][-1] == "contact"
    # Deployed: the draft is gone, the editor shows version 1 as it was.
    page = client.get(reverse("webui:modeler_form", kwargs={"key": KEY, "number": 1, "form_id": "plan"}))
    assert "f_contact" not in page.content.decode()


def test_a_broken_form_draft_is_reported_by_validation(client, owner, deployed):
    client_for(client, owner)
    post_json(client, "modeler_draft", {"forms": {"plan.form": '{"id": "plan", "components": ['}})
    problems = post_json(client, "modeler_validate", {"bpmn": DIAGRAM}).json()["problems"]
    assert [p["file"] for p in problems] == ["plan.form"]


def test_only_a_process_owner_keeps_drafts(client, offices, deployed):
    client_for(client, offices["520102"])
    assert post_json(client, "modeler_draft", {"bpmn": DIAGRAM}).status_code == 403


def test_office_users_view_the_diagram_and_history_outsiders_do_not(client, offices, deployed,
                                                                      django_user_model):
    client_for(client, offices["520102"])
    page = client.get(reverse("webui:modeler", kwargs={"key": KEY, "number": 1}))
    assert page.status_code == 200
    data = page.context["page"]
    assert data["canDeploy"] is False and "county_bureau" in [r["value"] for r in data["roles"]]
    assert "other:reviewPolicy" in data["xml"], "the diagram opens exactly as deployed"
    history = client.get(reverse("webui:modeler_history", kwargs={"key": KEY}))
    assert history.status_code == 200 and "流程设计" not in history.content.decode()  # the menu is the owners'
    client_for(client, django_user_model.objects.create_user("stranger", password="pw"))
    assert client.get(reverse("webui:modeler", kwargs={"key": KEY, "number": 1})).status_code == 403
    assert client.get(reverse("webui:modeler", kwargs={"key": KEY, "number": 7})).status_code in (403, 404)


def test_history_shows_versions_with_their_instances_and_the_owner_pins_one(client, owner, deployed, offices):
    client_for(client, owner)
    post_json(client, "modeler_deploy", {"bpmn": DIAGRAM.replace('"P2D"', '"P3D"'), "note": "三天"})
    api.start(KEY, data={"county": "520102"})
    history = client.get(reverse("webui:modeler_history", kwargs={"key": KEY}))
    rows = {r["number"]: r for r in history.context["rows"]}
    assert rows[2]["note"] == "三天" and rows[2]["instances"]["total"] == 1 and rows[1]["instances"]["total"] == 0
    assert "三天" in history.content.decode()
    listing = client.get(reverse("webui:modeler_definitions")).content.decode()
    assert "流程设计" in listing and reverse("webui:modeler", kwargs={"key": KEY, "number": 2}) in listing

    response = client.post(reverse("webui:modeler_pin", kwargs={"key": KEY}), {"number": "1"})
    assert response.status_code == 302
    assert api.start(KEY, data={"county": "520102"}).instance.version.number == 1

    client_for(client, offices["520102"])
    client.post(reverse("webui:modeler_pin", kwargs={"key": KEY}), {"number": ""})
    assert ProcessInstance.objects.filter(version__number=1).count() == 1
    assert DefinitionVersion.objects.get(definition__key=KEY, number=1).definition.pinned_version.number == 1


def test_compare_marks_changed_elements(client, owner, deployed):
    client_for(client, owner)
    post_json(client, "modeler_deploy", {"bpmn": DIAGRAM.replace('"P2D"', '"P3D"'), "note": "三天"})
    page = client.get(reverse("webui:modeler_compare", kwargs={"key": KEY}), {"from": 1, "to": 2})
    assert page.status_code == 200
    assert page.context["page"]["markers"] == {"cool_off": "changed"}
    assert "timer.timeDuration" in page.content.decode()


def migration_url(name, **kwargs):
    return reverse(f"webui:{name}", kwargs={"key": KEY, **kwargs})


def test_the_owner_previews_and_runs_a_migration_and_polls_the_job(client, owner, deployed,
                                                                   django_capture_on_commit_callbacks):
    running = api.start(KEY, business_key="NM-2026", data={"county": "520102"}).instance
    client_for(client, owner)
    post_json(client, "modeler_deploy", {"bpmn": DIAGRAM.replace('"P2D"', '"P3D"'), "note": "三天"})
    assert client.get(migration_url("modeler_migration")).status_code == 200

    preview = client.post(migration_url("modeler_migration_preview"), json.dumps({"to": "2", "business_key": "NM"}),
                          content_type="application/json").json()["plans"]
    assert [(p["business_key"], p["from_version"], p["safe"]) for p in preview] == [("NM-2026", 1, True)]
    assert [t["element"] for t in preview[0]["kept"]] == ["review"]

    with django_capture_on_commit_callbacks(execute=True):  # the job runs once its request commits
        started = client.post(migration_url("modeler_migration_start"), json.dumps({"to": "2", "from": "1"}),
                              content_type="application/json").json()
    status = client.get(started["status"]).json()
    assert (status["state"], status["migrated"], status["progress"]) == ("finished", 1, 1.0)
    running.refresh_from_db()
    assert running.version.number == 2


def test_migration_input_errors_and_non_owners_are_answered_clearly(client, owner, offices, deployed):
    client_for(client, owner)
    answer = client.post(migration_url("modeler_migration_preview"), json.dumps({"to": "x"}),
                         content_type="application/json")
    assert answer.status_code == 400 and "整数" in answer.json()["error"]
    answer = client.post(migration_url("modeler_migration_start"), json.dumps({"to": "1"}),
                         content_type="application/json")
    assert answer.status_code == 400 and "没有需要迁移的实例" in answer.json()["error"]
    client_for(client, offices["520102"])
    assert client.get(migration_url("modeler_migration")).status_code == 403
    assert client.post(migration_url("modeler_migration_start"), json.dumps({"to": "1"}),
                       content_type="application/json").status_code == 403
