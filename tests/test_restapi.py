"""The REST API: each endpoint with the pages' visibility and permissions (another county's object is not
found), filters and pagination, problem details in Chinese and English, and a round trip as a county's
system would make it."""
import json
import re
from datetime import datetime, timezone

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from engine import api
from engine.api import clock
from engine.models import AuditEvent, HumanTask, ProcessInstance
from restapi.tokens import create_token

from .conftest import BPMN_DIR
from .uploads import uploaded

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
HERE, THERE = "520102", "520302"  # a county of Guiyang, and one of Zunyi
PROBLEM = "application/problem+json"


@pytest.fixture
def world(offices, deploy_bpmn):
    """county_review running in both counties; each county's token, and the province's (a process owner's)."""
    clock.set_time(MONDAY)
    deploy_bpmn("county_review.bpmn")
    instances = {code: api.start("county_review", business_key=f"review-{code}", data={"county": code, "year": 2026})
                 .instance for code in (HERE, THERE)}
    tasks = {code: HumanTask.objects.get(instance=instance) for code, instance in instances.items()}
    files = {code: api.upload_attachment(b"plan\n", "plan.txt", "text/plain", instance=instances[code],
                                         task_id=tasks[code].pk, actor=code) for code in instances}
    tokens = {HERE: create_token(HERE, "county-system")[1], THERE: create_token(THERE, "zunyi-system")[1],
              "gz": create_token("gz", "province-system", process_owner=True)[1]}
    return {"instances": instances, "tasks": tasks, "files": files, "tokens": tokens}


def call(client, token, method, path, body=None, **extra):
    """A request as another system makes it: the token, and a JSON body (multipart when it holds files)."""
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    url = "/api/v1/" + path
    if body is not None and any(isinstance(v, (SimpleUploadedFile, list)) for v in body.values()):
        return getattr(client, method)(url, body, **headers, **extra)
    if body is not None:
        return getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers, **extra)
    return getattr(client, method)(url, **headers, **extra)


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    return body


def upload():
    return {"file": SimpleUploadedFile("minutes.txt", b"minutes\n", content_type="text/plain")}


# Each endpoint that names an instance, a task or an attachment: what the county's token gets for its own
# county's object (its permission), and the same request on the other county's object answers 404.
SCOPED = [
    ("get", "instances/{instance}/", None, 200),
    ("post", "instances/{instance}/suspend/", {"reason": "核查"}, 403),
    ("post", "instances/{instance}/resume/", {"reason": "核查"}, 403),
    ("post", "instances/{instance}/cancel/", {"reason": "核查"}, 403),
    ("post", "instances/{instance}/retry/", {"reason": "核查"}, 403),
    ("post", "instances/{instance}/migrate/", {"to_version": 1}, 403),
    ("get", "instances/{instance}/history/", None, 200),
    ("get", "instances/{instance}/comments/", None, 200),
    ("post", "instances/{instance}/comments/", {"text": "请核实预算"}, 201),
    ("get", "instances/{instance}/attachments/", None, 200),
    ("get", "tasks/{task}/", None, 200),
    ("post", "tasks/{task}/claim/", None, 200),
    ("post", "tasks/{task}/release/", None, 409),  # not claimed
    ("post", "tasks/{task}/reassign/", {"assignee": "520102-b"}, 403),  # a token is no supervisor
    ("post", "tasks/{task}/delegate/", {"delegate": "520102-b"}, 200),
    ("post", "tasks/{task}/resolve/", {"data": {}}, 409),  # not delegated
    ("get", "tasks/{task}/form/", None, 200),
    ("post", "tasks/{task}/complete/", {"data": {"background": "已核对", "budget": 1200}}, 200),
    ("get", "tasks/{task}/attachments/", None, 200),
    ("post", "tasks/{task}/attachments/", upload, 201),
    ("get", "tasks/{task}/comments/", None, 200),
    ("post", "tasks/{task}/comments/", {"text": "已阅"}, 201),
    ("get", "attachments/{attachment}/", None, 200),
]


@pytest.mark.parametrize("method,path,body,own_status", SCOPED, ids=[f"{m} {p}" for m, p, _b, _s in SCOPED])
def test_another_countys_object_is_not_found(client, world, method, path, body, own_status):
    def request(code):
        url = path.format(instance=world["instances"][code].pk, task=world["tasks"][code].pk,
                          attachment=world["files"][code].pk)
        return call(client, world["tokens"][HERE], method, url, body() if callable(body) else body)

    own = request(HERE)
    assert own.status_code == own_status, own.content
    if own_status >= 400:
        problem(own, own_status)
    other = request(THERE)
    assert problem(other, 404)["detail"] == "未找到。"


def test_the_county_lists_only_its_own_instances_filtered_and_paged(client, world, deploy_bpmn):
    token = world["tokens"][HERE]
    listed = call(client, token, "get", "instances/").json()
    assert [i["business_key"] for i in listed["results"]] == [f"review-{HERE}"]
    province = world["tokens"]["gz"]
    assert call(client, province, "get", "instances/").json()["count"] == 2
    deploy_bpmn("office_work.bpmn")
    api.start("station_work", business_key="station-x", data={"county": HERE, "station": "520102-s1"})

    def keys(query, who=province):
        return sorted(i["business_key"] for i in call(client, who, "get", "instances/" + query).json()["results"])

    assert keys(f"?county={THERE}") == [f"review-{THERE}"]
    assert keys("?station=520102-s1") == ["station-x"]
    assert keys("?process=station_work") == ["station-x"]
    assert keys(f"?business_key=review-{HERE}") == [f"review-{HERE}"]
    assert keys("?year=2026") == [f"review-{HERE}", f"review-{THERE}"]
    assert keys("?state=waiting") == [] and len(keys("?state=running")) == 3
    first = call(client, province, "get", "instances/?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and "page=2" in first["next"]
    second = call(client, province, "get", "instances/?page_size=2&page=2").json()
    assert len(second["results"]) == 1 and second["next"] is None
    body = problem(call(client, province, "get", "instances/?year=1900&state=lost"), 400)
    assert set(body["errors"]) == {"year", "state"}
    problem(call(client, province, "get", "instances/?page=9"), 404)


def test_the_inbox_by_tab(client, world):
    token, task = world["tokens"][HERE], world["tasks"][HERE]

    def tab(name):
        return [t["id"] for t in call(client, token, "get", f"tasks/?tab={name}").json()["results"]]

    assert tab("mine") == tab("unclaimed") == [str(task.pk)] and tab("claimed") == []
    claimed = call(client, token, "post", f"tasks/{task.pk}/claim/").json()
    assert (claimed["state"], claimed["assignee"]) == ("claimed", "token:county-system")
    assert tab("claimed") == [str(task.pk)] and tab("unclaimed") == []
    assert call(client, token, "get", "tasks/?process=other").json()["results"] == []
    assert tab("mine") == [str(task.pk)], "the other county's task is in no tab"
    problem(call(client, token, "get", "tasks/?tab=everything"), 400)


def test_a_county_starts_only_what_names_its_own_offices(client, world):
    token = world["tokens"][HERE]
    body = problem(call(client, token, "post", "instances/", {"process": "county_review", "data": {"county": THERE}}),
                   403)
    assert "本单位可见" in body["detail"]
    problem(call(client, token, "post", "instances/", {"process": "county_review", "data": {}}), 403)
    problem(call(client, token, "post", "instances/", {"process": "no_such", "data": {"county": HERE}}), 404)
    started = call(client, token, "post", "instances/", {"process": "county_review", "business_key": "again",
                                                       "data": {"county": HERE}})
    assert started.status_code == 201, started.content
    assert ProcessInstance.objects.get(pk=started.json()["instance"]["id"]).started_by == "token:county-system"


def test_process_owners_suspend_resume_cancel_and_retry(client, world):
    token, instance = world["tokens"]["gz"], world["instances"][HERE]
    path = f"instances/{instance.pk}/"
    problem(call(client, token, "post", path + "suspend/", {}), 400)  # a reason is required
    assert call(client, token, "post", path + "suspend/", {"reason": "核查"}).json()["instance"]["state"] == "suspended"
    problem(call(client, token, "post", path + "suspend/", {"reason": "again"}), 409)
    resumed = call(client, token, "post", path + "resume/", {"reason": "核查完毕"}).json()
    assert resumed["instance"]["state"] == "running" and len(resumed["open_tasks"]) == 1
    assert "不能重试" in problem(call(client, token, "post", path + "retry/", {"reason": "x"}), 409)["detail"]
    assert call(client, token, "post", path + "cancel/", {"reason": "重复"}).json()["instance"]["state"] == "cancelled"
    assert AuditEvent.objects.filter(instance=instance, action="instance.suspend",
                                     actor="token:province-system").exists()


def test_process_owners_migrate_an_instance_to_another_version(client, world, deploy_bpmn):
    token, instance = world["tokens"]["gz"], world["instances"][HERE]
    changed = (BPMN_DIR / "county_review.bpmn").read_text(encoding="utf-8").replace('"P2D"', '"P3D"')
    form = (BPMN_DIR / "forms" / "plan.form").read_text(encoding="utf-8")
    deployed = call(client, token, "post", "definitions/deploy/", {
        "files": {"county_review.bpmn": changed}, "forms": {"plan.form": form}, "note": "公示期改为三天"})
    assert deployed.status_code == 201 and deployed.json()["created"] == [
        {"key": "county_review", "version": 2, "tenant": ""}]
    path = f"instances/{instance.pk}/migrate/"
    preview = call(client, token, "post", path, {"to_version": 2, "dry_run": True}).json()
    assert (preview["safe"], preview["to_version"]) == (True, 2)
    assert ProcessInstance.objects.get(pk=instance.pk).version.number == 1, "a dry run changes nothing"
    assert call(client, token, "post", path, {"to_version": 2}).json()["safe"] is True
    assert ProcessInstance.objects.get(pk=instance.pk).version.number == 2
    problem(call(client, token, "post", path, {"to_version": 7}), 404)


def test_definitions_list_versions_validate_and_deploy(client, world, django_user_model):
    county, owner = world["tokens"][HERE], world["tokens"]["gz"]
    assert call(client, county, "get", "definitions/").json()["results"] == [
        {"key": "county_review", "name": "县级计划审核", "latest_version": 1, "pinned_version": None}]
    versions = call(client, county, "get", "definitions/county_review/versions/").json()
    assert [(v["number"], v["instances"]["total"]) for v in versions] == [(1, 2)]
    problem(call(client, county, "get", "definitions/nothing/versions/"), 404)
    broken = {"files": {"broken.bpmn": "<bpmn:definitions"}, "note": "x"}
    for path in ("definitions/validate/", "definitions/deploy/"):
        assert "流程负责人" in problem(call(client, county, "post", path, broken), 403)["detail"]
    checked = call(client, owner, "post", "definitions/validate/", broken).json()
    assert checked["valid"] is False and checked["problems"][0]["file"] == "broken.bpmn"
    assert set(checked["problems"][0]) == {"file", "line", "message", "element", "severity"}
    refused = problem(call(client, owner, "post", "definitions/deploy/", broken), 400)
    assert refused["problems"][0]["file"] == "broken.bpmn" and refused["type"].endswith("invalid-definition")
    bad_name = problem(call(client, owner, "post", "definitions/deploy/", {"files": {"../x.bpmn": ""}, "note": "x"}),
                       400)
    assert "files" in bad_name["errors"]
    diagram = (BPMN_DIR / "office_work.bpmn").read_bytes()
    uploaded_files = call(client, owner, "post", "definitions/deploy/", {
        "files": [SimpleUploadedFile("office_work.bpmn", diagram)], "note": "三个办理流程"})
    assert uploaded_files.status_code == 201, uploaded_files.content
    assert sorted(v["key"] for v in uploaded_files.json()["created"]) == ["county_work", "province_work",
                                                                         "station_work"]
    again = call(client, owner, "post", "definitions/deploy/", {
        "files": {"office_work.bpmn": diagram.decode()}, "note": "again"})
    assert again.status_code == 200 and again.json()["created"] == [] and len(again.json()["unchanged"]) == 3
    nobody = django_user_model.objects.create_user("visitor", password="pw")
    client.force_login(nobody)
    problem(client.get("/api/v1/definitions/"), 403)


def test_messages_and_signals_are_the_provinces(client, world):
    county, province = world["tokens"][HERE], world["tokens"]["gz"]
    for path, body in (("messages/", {"name": "award", "correlation": {"county": HERE}}),
                       ("signals/", {"name": "year_closed"})):
        problem(call(client, county, "post", path, body), 403)
        sent = call(client, province, "post", path, body)
        assert sent.status_code == 202 and sent.json()["name"] == body["name"]
    assert AuditEvent.objects.filter(action="message.sent", actor="token:province-system").exists()
    body = problem(call(client, province, "post", "messages/", {"name": "award", "payload": {"_x": 1}}), 400)
    assert set(body["errors"]) == {"_x"}


def test_the_working_day_calendar(client, world):
    token = world["tokens"][HERE]
    day = call(client, token, "get", "calendar/is-workday/?date=2026-10-01").json()
    assert (day["is_workday"], day["region"]) == (False, None)
    assert call(client, token, "get", "calendar/is-workday/?date=2026-03-02").json()["is_workday"] is True
    due = call(client, token, "get", "calendar/add-workdays/?start=2026-03-02&days=5").json()
    assert (due["last_day"], due["due"]) == ("2026-03-09", "2026-03-10T00:00:00+08:00")
    problem(call(client, token, "get", "calendar/add-workdays/?start=9999-12-30&days=5"), 400)
    problem(call(client, token, "get", "calendar/is-workday/?date=tomorrow"), 400)


def test_a_county_system_starts_an_instance_and_completes_its_task_after_a_form_error(client, offices, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("county_review.bpmn")
    token = create_token(HERE, "county-system")[1]
    started = call(client, token, "post", "instances/", {
        "process": "county_review", "business_key": "plan-2026", "data": {"county": HERE, "year": 2026}})
    assert started.status_code == 201, started.content
    task = started.json()["open_tasks"][0]
    assert (task["name"], task["office"], task["form_id"]) == ("审核年度计划", HERE, "plan")
    form = call(client, token, "get", f"tasks/{task['id']}/form/").json()
    assert [c["key"] for c in form["schema"]["components"]] == ["background", "budget"]

    refused = problem(call(client, token, "post", f"tasks/{task['id']}/complete/", {"data": {"budget": -1}}), 400)
    assert refused["type"].endswith("invalid-input") and refused["title"] == "输入有误"
    assert set(refused["errors"]) == {"background", "budget"}
    assert "审核年度计划" in refused["detail"]
    english = problem(call(client, token, "post", f"tasks/{task['id']}/complete/", {"data": {"budget": -1}},
                           HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert english["title"] == "Invalid input"
    assert english["errors"] == {"background": '"项目背景" is required', "budget": '"预算金额(元)" must be at least 0'}

    done = call(client, token, "post", f"tasks/{task['id']}/complete/",
                {"data": {"background": "已核对", "budget": 1200}})
    assert done.status_code == 200, done.content
    assert done.json()["task"]["completed_by"] == "token:county-system"
    assert done.json()["instance"]["state"] == "waiting" and done.json()["open_tasks"] == []
    instance = call(client, token, "get", f"instances/{started.json()['instance']['id']}/").json()
    assert instance["current_elements"] == ["cool_off"] and instance["data"]["budget"] == "1200.00"
    history = call(client, token, "get", f"instances/{instance['id']}/history/").json()["results"]
    assert ("task.complete", "token:county-system") in [(e["action"], e["actor"]) for e in history]


def test_problems_speak_english_on_request(client, world):
    other = world["instances"][THERE].pk
    token = world["tokens"][HERE]
    assert problem(call(client, None, "get", "instances/"), 401)["title"] == "未认证"
    english = problem(call(client, None, "get", "instances/", HTTP_ACCEPT_LANGUAGE="en"), 401)
    assert english["title"] == "Not authenticated" and english["detail"].isascii()
    assert problem(call(client, token, "get", f"instances/{other}/", HTTP_ACCEPT_LANGUAGE="en"), 404)["title"] == \
        "Not found"
    refused = problem(call(client, token, "post", f"instances/{world['instances'][HERE].pk}/suspend/",
                           {"reason": "x"}, HTTP_ACCEPT_LANGUAGE="en"), 403)
    assert refused["detail"].isascii() and "process owners" in refused["detail"]
    assert problem(call(client, token, "get", "no/such/path/"), 404)["title"] == "未找到"


def test_comments_mention_only_who_sees_the_instance(client, world):
    token, instance = world["tokens"][HERE], world["instances"][HERE]
    refused = problem(call(client, token, "post", f"instances/{instance.pk}/comments/", {"text": "@红花岗区民政局 请看"}),
                      400)
    assert "红花岗区民政局" in refused["errors"]["text"]
    posted = call(client, token, "post", f"instances/{instance.pk}/comments/", {"text": "@贵阳市民政局 请核实"})
    assert posted.json()["mentions"] == [{"kind": "office", "code": "5201", "label": "贵阳市民政局"}]
    assert posted.json()["author"] == "token:county-system"


def test_attachments_are_bounded_like_the_pages(client, world, settings):
    token, task = world["tokens"][HERE], world["tasks"][HERE]
    settings.ENGINE = {**settings.ENGINE, "MAX_ATTACHMENT_BYTES": 100}
    path = f"tasks/{task.pk}/attachments/"
    big = {"file": SimpleUploadedFile("big.bin", b"x" * 200)}
    assert "big.bin" in problem(call(client, token, "post", path, big), 400)["errors"]["file"]
    huge = {"file": SimpleUploadedFile("huge.bin", b"x" * (100 + 64 * 1024))}
    assert problem(call(client, token, "post", path, huge), 413)["title"] == "请求内容过大"
    uploaded_file = call(client, token, "post", path, upload()).json()
    download = call(client, token, "get", f"attachments/{uploaded_file['id']}/")
    assert b"".join(download.streaming_content) == b"minutes\n"
    assert uploaded(task, "plan.pdf")  # a page's upload is listed too
    assert len(call(client, token, "get", path).json()["results"]) == 3


def test_request_bodies_are_bounded(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    token, task = world["tokens"][HERE], world["tasks"][HERE]
    path = f"tasks/{task.pk}/complete/"
    problem(call(client, token, "post", path, {"data": {"background": "x" * 2000}}), 413)
    nested = "[" * 100_000 + "]" * 100_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 ** 6
    response = client.post("/api/v1/" + path, '{"data": ' + nested + "}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}")
    problem(response, 400)


def test_the_schema_and_its_documentation_are_served_with_their_own_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/tasks/{task_id}/complete/" in schema.content
    for page in ("/api/docs/", "/api/redoc/"):
        html = client.get(page).content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
        assert assets and all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), (page, assets)
        # No address of another host: neither absolute nor protocol-relative (a random token may spell "cdn").
        assert not re.search(r"""["'(=]\s*(?:https?:)?//""", html) and "https://" not in html, page
        for asset in assets:
            assert finders.find(asset.removeprefix("/static/")), asset
