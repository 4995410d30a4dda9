"""The pages through Django's test client: inbox, task form, instances, dashboard, exports, permissions."""
import hashlib
import json
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from engine import api
from engine.api import clock
from engine.models import Attachment, AuditEvent, TaskDraft
from workflows.models import Membership, Office

from .steps import open_task

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 1, 0, tzinfo=clock.CHINA)  # a Monday


@pytest.fixture
def review(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    return api.start("review", "plan-2026-520102", {"county": "520102", "year": 2026, "revisions": 0},
                     actor="tester").instance


@pytest.fixture
def other_county(review):
    return api.start("review", "plan-2026-520302", {"county": "520302", "year": 2026, "revisions": 0}).instance


def login(client, offices, username):
    client.force_login(offices[username])
    return client


def escaped(text):
    """Text as json_script writes it into a page."""
    return json.dumps(text)[1:-1]


def submit(client, task, data):
    return client.post(f"/tasks/{task.pk}/submit/", json.dumps(data), content_type="application/json")


def test_login_page_is_chinese_and_the_inbox_needs_login(client, offices):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page and "用户名" in page
    wrong = client.post("/accounts/login/", {"username": "520102", "password": "nope"})
    assert "用户名或密码不正确" in wrong.content.decode()
    response = client.post("/accounts/login/", {"username": "520102", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_language_switch_to_english_and_back(client, review, offices):
    login(client, offices, "520102")
    assert "我的待办" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "My tasks" in page and "我的待办" not in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "我的待办" in client.get("/").content.decode()


def test_inbox_lists_the_office_tasks_with_county_due_date_and_workdays_left(client, review, other_county, offices):
    page = login(client, offices, "520102").get("/").content.decode()
    assert "编写年度计划" in page and "南明区民政局" in page
    assert "plan-2026-520102" in page and "plan-2026-520302" not in page
    assert "剩 5 个工作日" in page
    assert "2026-03-09 24:00" in page and "2026-03-10 00:00" not in page  # the period ends with its last day
    # Five working days later the task is late, shown in red with the days it is late by.
    clock.set_time(START + timedelta(days=8))
    page = client.get("/?tab=overdue").content.decode()
    assert "plan-2026-520102" in page and "due-late" in page and "逾期 1 个工作日" in page


def test_inbox_filters_and_rejects_a_bad_year(client, review, offices):
    login(client, offices, "520102")
    assert "plan-2026-520102" in client.get("/?year=2026&process=review").content.decode()
    assert "plan-2026-520102" not in client.get("/?year=2025").content.decode()
    assert "plan-2026-520102" not in client.get("/?q=nothing-like-it").content.decode()
    page = client.get("/?year=abc").content.decode()
    assert "输入整数" in page  # Django's own message, in Chinese


def test_claim_release_and_reassign_by_a_supervisor(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520102-b")
    client.post(f"/tasks/{task.pk}/claim/")
    task.refresh_from_db()
    assert task.assignee == "520102-b"
    assert "plan-2026-520102" in client.get("/?tab=claimed").content.decode()
    # Only a supervisor sees the reassign form and may reassign.
    assert 'name="assignee"' not in client.get(f"/tasks/{task.pk}/").content.decode()
    response = client.post(f"/tasks/{task.pk}/reassign/", {"assignee": "520102"}, follow=True)
    assert "操作未完成" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee == "520102-b"
    client.force_login(offices["520102"])
    assert 'name="assignee"' in client.get(f"/tasks/{task.pk}/").content.decode()
    client.post(f"/tasks/{task.pk}/reassign/", {"assignee": "520102"})
    task.refresh_from_db()
    assert task.assignee == "520102"
    # The task is handed on to someone else, never back to the person who has it.
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert '<option value="520102-b">' in page and '<option value="520102">' not in page
    client.post(f"/tasks/{task.pk}/release/")
    task.refresh_from_db()
    assert task.state == "open"


def test_task_page_shows_form_instructions_and_history(client, review, offices):
    task = open_task(review, "write_plan")
    page = login(client, offices, "520102").get(f"/tasks/{task.pk}/").content.decode()
    assert "填写本县年度计划" in page
    assert 'id="form-schema"' in page and escaped("预算金额(元)") in page
    assert "启动流程" in page  # the audit trail


def test_a_submission_nested_past_reason_or_unstorable_is_answered_400(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520102")
    deep = client.post(f"/tasks/{task.pk}/submit/", "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and deep.json() == {"error": "提交的内容不是有效的 JSON。"}
    nul = submit(client, task, {"background": "a\u0000b", "budget": "1"})
    assert nul.status_code == 400 and "NUL" in nul.json()["errors"]["background"]
    task.refresh_from_db()
    assert task.state == "open"


def test_form_errors_come_back_per_field_and_a_valid_submit_moves_on(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520102")
    response = submit(client, task, {"background": "", "budget": "12.345"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"background", "budget"} and "项目背景" in errors["background"]
    task.refresh_from_db()
    assert task.state == "open"
    response = submit(client, task, {"background": "安置点", "budget": "120000.00"})
    assert response.status_code == 200 and response.json()["next"] == "/"
    # The prefecture now has the review; after it, its next task is offered.
    client.force_login(offices["5201"])
    review_task = open_task(review, "review_plan")
    assert f"/tasks/{review_task.pk}/" in client.get("/").content.decode()
    completed = client.get(f"/tasks/{task.pk}/").content.decode()
    assert escaped("安置点") in completed  # the submitted data, read-only


def test_another_county_cannot_see_or_work_on_the_task_or_instance(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520302")
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/instances/{review.pk}/").status_code == 404
    assert client.get(f"/instances/{review.pk}/diagram.bpmn").status_code == 404
    assert submit(client, task, {"background": "x", "budget": "1"}).status_code == 404
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 404
    assert "plan-2026-520102" not in client.get("/instances/").content.decode()


def test_attachments_upload_and_download_for_who_may_see_them(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520102")
    response = client.post(f"/tasks/{task.pk}/attachments/",
                           {"file": SimpleUploadedFile("计划.txt", "年度计划".encode(), "text/plain")})
    assert response.status_code == 200
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert attachment.size == len("年度计划".encode()) and len(attachment.sha256) == 64
    download = client.get(f"/attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == "年度计划".encode()
    client.force_login(offices["5201"])  # the prefecture sees its county's instance
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 200
    client.force_login(offices["520302"])
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/attachments/",
                       {"file": SimpleUploadedFile("x.txt", b"x")}).status_code == 404


def test_an_upload_writes_one_audit_row_with_its_hash(client, review, offices):
    task = open_task(review, "write_plan")
    login(client, offices, "520102")
    content = "年度计划".encode()
    answer = client.post(f"/tasks/{task.pk}/attachments/",
                         {"file": SimpleUploadedFile("计划.txt", content, "text/plain")}).json()
    assert answer["sha256"] == hashlib.sha256(content).hexdigest()
    [event] = AuditEvent.objects.filter(action="attachment.uploaded")
    assert (event.actor, event.instance_id, event.task_id) == ("520102", review.pk, task.pk)
    assert event.data == {"id": answer["id"], "name": "计划.txt", "size": len(content), "sha256": answer["sha256"]}
    assert "520102 · 上传附件" in client.get(f"/instances/{review.pk}/").content.decode()


def test_a_file_over_the_limit_is_refused_and_nothing_is_saved(client, review, offices, settings):
    settings.ENGINE = {**settings.ENGINE, "MAX_ATTACHMENT_BYTES": 10}
    task = open_task(review, "write_plan")
    login(client, offices, "520102")
    response = client.post(f"/tasks/{task.pk}/attachments/", {"file": SimpleUploadedFile("大.txt", b"x" * 11)})
    assert response.status_code == 400
    assert response.json() == {"error": "文件“大.txt”超过 10\xa0字节 的上限。"}
    client.cookies["django_language"] = "en"
    response = client.post(f"/tasks/{task.pk}/attachments/", {"file": SimpleUploadedFile("big.txt", b"x" * 11)})
    assert response.json() == {"error": "The file “big.txt” exceeds the 10\xa0bytes limit."}
    assert not Attachment.objects.exists() and not AuditEvent.objects.filter(action="attachment.uploaded").exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.txt"))


def test_instances_list_counts_filters_and_instance_page(client, review, other_county, offices):
    login(client, offices, "gz")
    page = client.get("/instances/").content.decode()
    assert "plan-2026-520102" in page and "plan-2026-520302" in page
    page = client.get("/instances/?prefecture=5201").content.decode()
    assert "plan-2026-520102" in page and "plan-2026-520302" not in page
    assert "plan-2026-520102" in client.get("/instances/?step=write_plan").content.decode()
    assert "plan-2026-520102" not in client.get("/instances/?step=review_plan").content.decode()
    assert "plan-2026-520102" not in client.get("/instances/?state=completed").content.decode()
    page = client.get(f"/instances/{review.pk}/").content.decode()
    assert "编写年度计划" in page and "diagram-marks" in page and '"current": ["write_plan"]' in page
    assert client.get(f"/instances/{review.pk}/diagram.bpmn").content.startswith(b"<?xml")



def test_instance_list_counts_each_state_and_the_late_instances_over_every_state(client, review, other_county,
                                                                                offices):
    done = api.start("review", "plan-2026-520103", {"county": "520102", "year": 2026, "revisions": 0}).instance
    api.cancel(done.pk, reason="withdrawn")
    login(client, offices, "gz")
    clock.set_time(START + timedelta(days=8))  # both open plans are past their five working days
    page = client.get("/instances/")
    counts = {key: n for key, _label, n in page.context["counts"]}
    assert (counts["waiting"] + counts["running"], counts["cancelled"]) == (2, 1)
    assert (page.context["total"], page.context["late"]) == (3, 2)
    # The state filter picks among the counts; the late count stays that of every state.
    page = client.get("/instances/?state=cancelled")
    assert page.context["page"].paginator.count == 1 and page.context["late"] == 2
    assert client.get("/instances/?prefecture=5203").context["late"] == 1
    clock.set_time(START)
    assert client.get("/instances/").context["late"] == 0


def test_the_diagram_names_lanes_by_office_role_not_by_code(client, review, offices):
    login(client, offices, "gz")
    diagram = client.get(f"/instances/{review.pk}/diagram.bpmn").content.decode()
    assert 'name="县(市、区)民政局"' in diagram and 'name="county_bureau"' not in diagram
    assert 'id="lane_county"' in diagram and 'name="市(州)民政局"' in diagram


def test_steps_the_engine_took_by_itself_are_the_systems(client, other_county, offices):
    login(client, offices, "gz")
    page = client.get(f"/instances/{other_county.pk}/").content.decode()
    assert "· 系统</dd>" in page and "系统 · 启动流程" in page and "system" not in page

def test_suspend_resume_cancel_need_a_process_owner_and_a_reason(client, review, offices):
    login(client, offices, "5201")
    assert client.post(f"/instances/{review.pk}/suspend/", {"reason": "x"}).status_code == 403
    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    client.force_login(offices["gz"])
    client.post(f"/instances/{review.pk}/suspend/", {"reason": ""})
    review.refresh_from_db()
    assert review.state == "running"
    client.post(f"/instances/{review.pk}/suspend/", {"reason": "核实预算"})
    review.refresh_from_db()
    assert review.state == "suspended"
    assert "核实预算" in client.get(f"/instances/{review.pk}/").content.decode()
    client.post(f"/instances/{review.pk}/resume/", {"reason": "已核实"})
    review.refresh_from_db()
    assert review.state == "running"


def test_dashboard_for_province_and_prefecture_only(client, review, offices):
    Office.objects.create(code="520102-s1", name="花果园社工站", kind="station", parent=Office.objects.get(code="520102"))
    login(client, offices, "520102")
    assert client.get("/dashboard/").status_code == 403
    client.force_login(offices["5201"])
    page = client.get("/dashboard/?year=2026").content.decode()
    assert "贵阳市民政局" in page and "遵义市民政局" not in page and "phase-chart" in page
    assert client.get("/dashboard/?prefecture=5203").status_code == 403
    client.force_login(offices["gz"])
    clock.set_time(START + timedelta(days=8))
    response = client.get("/dashboard/?year=2026")
    page = response.content.decode()
    assert "遵义市民政局" in page and "编写年度计划" in page and "heat-data" in page
    [late] = response.context["overdue"]
    assert (late.name, late.business_key, late.county_name, late.office_name, late.due_state) == (
        "编写年度计划", "plan-2026-520102", "南明区", "南明区民政局", "late")
    assert late.workdays_left < 0 and 'data-label="逾期" class="num late">' in page
    assert '<span class="muted">plan-2026-520102</span>' in page, "the row names its instance"
    # Every step and prefecture named on its chart, each step's bar tall enough to read.
    context = response.context
    assert context["compliance_chart"]["options"]["scales"]["y"]["ticks"] == {"autoSkip": False}
    assert context["phase_chart"]["options"]["scales"]["x"]["ticks"] == {"autoSkip": False}
    # Stations and tasks are counted in whole numbers, however few there are.
    assert context["phase_chart"]["options"]["scales"]["y"]["ticks"] == {"precision": 0}
    assert context["compliance_chart"]["options"]["scales"]["x"]["ticks"] == {"precision": 0}
    height = int(page.partition('<div class="chart-box" style="--content-height: ')[2].partition("px")[0])
    assert height == 80 + 24 * len(context["steps"])
    Office.objects.filter(code="5203").update(name_en="Zunyi Civil Affairs Bureau")
    page = client.get("/dashboard/?year=2026", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="5203" >Zunyi Civil Affairs Bureau</option>' in page, "the prefectures in the page's language"


def test_an_instance_waiting_at_a_message_catch_is_listed_and_found_by_the_catchs_name(client, deploy_bpmn,
                                                                                        offices):
    deploy_bpmn("award.bpmn")
    api.start("county_cycle", "cycle-2026-520102", {"county": "520102", "year": 2026})
    login(client, offices, "gz")
    page = client.get("/instances/").content.decode()
    row = page.partition("cycle-2026-520102")[2].partition("</tr>")[0]
    assert "Award received" in row and "wait_award" not in row, "the step by its name, not its id"
    for step in ("Award received", "wait_award"):
        assert "cycle-2026-520102" in client.get("/instances/", {"step": step}).content.decode(), step
    assert "cycle-2026-520102" not in client.get("/instances/", {"step": "Note winner"}).content.decode()
    [row] = [[c.value for c in r] for r in workbook(client.get("/export/instances.xlsx")).iter_rows(min_row=2)
             if r[0].value == "cycle-2026-520102"]
    assert "Award received" in row


def test_a_history_longer_than_a_page_shows_says_how_long_it_is(client, review, offices, monkeypatch):
    from webui.views import instances, tasks

    task = open_task(review, "write_plan")
    total = AuditEvent.objects.filter(instance=review).count()
    login(client, offices, "520102")
    for module, path in ((tasks, f"/tasks/{task.pk}/"), (instances, f"/instances/{review.pk}/")):
        assert "列出最近的" not in client.get(path).content.decode(), path
        monkeypatch.setattr(module, "HISTORY_EVENTS", 2)
        page = client.get(path).content.decode()
        assert page.count("<li><time") == 2 and f"列出最近的 2 条，共 {total} 条。" in page, path
    page = client.get(f"/instances/{review.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"The latest 2 of {total} entries." in page


def workbook(response):
    """The sheet an export streams."""
    return load_workbook(BytesIO(b"".join(response.streaming_content))).active


def test_the_menu_offers_each_office_its_pages_from_the_memberships_read_once(client, offices, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    extra = {"520102": [], "5201": ["看板"], "gz": ["看板", "流程设计", "故障"], "org1": ["质疑", "投诉"]}
    for username, links in extra.items():
        client.force_login(offices[username])
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/settings/notifications/").content.decode()
        menu = page.partition('<nav')[2].partition('</nav>')[0]
        for label in ("看板", "流程设计", "故障", "质疑", "投诉", "报告突发事件"):
            assert (label in menu) == (label in links), (username, label)
        memberships = [q["sql"] for q in queries.captured_queries if 'FROM "workflows_membership"' in q["sql"]]
        assert len(memberships) == 1, (username, memberships)


def test_exports_are_read_in_chunks_and_stop_at_their_row_limit(client, review, offices, settings, monkeypatch):
    from webui import excel

    for n in range(4):
        api.start("review", f"plan-2026-extra-{n}", {"county": "520102", "year": 2026, "revisions": 0})
    monkeypatch.setattr(excel, "CHUNK_ROWS", 2)  # five instances: three chunks
    login(client, offices, "520102")
    sheet = workbook(client.get("/export/instances.xlsx"))
    keys = sorted(row[0].value for row in sheet.iter_rows(min_row=2))
    assert keys == ["plan-2026-520102", *(f"plan-2026-extra-{n}" for n in range(4))]
    # The inbox's export: a chunk costs its rows and their offices' names, not what only the inbox page shows.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert workbook(client.get("/export/inbox.xlsx")).max_row == 6
    shown_in_the_inbox_only = [q["sql"] for q in queries.captured_queries
                               if "planning_annualplan" in q["sql"] or "service_servicereport" in q["sql"]]
    assert not shown_in_the_inbox_only
    settings.EXPORT_MAX_ROWS = 3
    with CaptureQueriesContext(connection) as queries:
        rows = [[c.value for c in row] for row in workbook(client.get("/export/instances.xlsx")).iter_rows(min_row=2)]
    assert len(rows) == 4 and rows[-1][0] == "仅导出前 3 行：请缩小筛选范围后分批导出"
    # The database is asked for no more rows than the sheet can take, and one to tell there were more.
    listed = [q["sql"] for q in queries.captured_queries if 'FROM "engine_processinstance"' in q["sql"]]
    assert listed and all(sql.rstrip().endswith("LIMIT 4") for sql in listed), listed


def test_an_export_reads_its_filters_choices_only_to_check_a_filter_given(client, review, other_county, offices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def choices_read(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        return body, [q["sql"] for q in queries.captured_queries if 'FROM "engine_processdefinition"' in q["sql"]
                      or "'prefecture_bureau'" in q["sql"] and '"workflows_office"."name"' in q["sql"]]

    login(client, offices, "gz")
    for url in ("/export/instances.xlsx", "/export/inbox.xlsx"):
        assert choices_read(url)[1] == [], url
    # A filter is checked against the choices, read once, and applied: the province's two plans, one in 5203.
    body, read = choices_read("/export/instances.xlsx?process=review&prefecture=5203")
    assert len(read) == 2
    assert [row[0].value for row in load_workbook(BytesIO(body)).worksheets[0].iter_rows(min_row=2)] == [
        "plan-2026-520302"]
    body, read = choices_read("/export/instances.xlsx?process=no-such-process")
    assert len(read) == 1
    # The list shows them, each read once.
    body, read = choices_read("/instances/?process=review")
    assert len(read) == 2 and 'value="review" selected' in body.decode() and 'value="5203"' in body.decode()


def test_exports_are_excel_workbooks_of_the_lists(client, review, offices):
    clock.set_time(START + timedelta(days=8))
    login(client, offices, "520102")
    for url in ("/export/inbox.xlsx", "/export/instances.xlsx"):
        response = client.get(url)
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = workbook(response)
        assert "plan-2026-520102" in [c.value for c in sheet[2]], url
    assert client.get("/export/overdue.xlsx").status_code == 403
    client.force_login(offices["gz"])
    sheet = workbook(client.get("/export/overdue.xlsx"))
    assert sheet[2][0].value == "编写年度计划"


def test_exports_write_due_times_as_the_pages_do_and_mark_late_instances(client, review, offices):
    clock.set_time(START + timedelta(days=8))  # past the plan's due time, 2026-03-09 24:00
    login(client, offices, "520102")
    page = client.get("/").content.decode()
    assert "2026-03-09 24:00" in page
    inbox = workbook(client.get("/export/inbox.xlsx"))
    headers = [c.value for c in inbox[1]]
    assert inbox[2][headers.index("截止时间")].value == "2026-03-09 24:00", "one instant, written one way"
    assert inbox.column_dimensions["A"].width >= 2 * len("编写年度计划"), "Chinese text takes two widths"
    instances = workbook(client.get("/export/instances.xlsx"))
    headers = [c.value for c in instances[1]]
    assert instances[2][headers.index("逾期")].value == "是"
    # Read out of the data by the database: the year a number, the county by its name.
    assert instances[2][headers.index("年度")].value == 2026
    assert instances[2][headers.index("县(市、区)")].value == "南明区"


def test_people_show_by_their_names_not_their_account_codes(client, review, offices):
    for username, name in (("520102", "南明区民政局管理员"), ("520102-b", "南明区民政局科员")):
        offices[username].first_name = name
        offices[username].save()
    task = open_task(review, "write_plan")
    login(client, offices, "520102-b").post(f"/tasks/{task.pk}/claim/")
    client.force_login(offices["520102"])
    assert '<span class="whoami" title="南明区民政局">南明区民政局管理员</span>' in client.get("/").content.decode()
    page = client.get(f"/instances/{review.pk}/").content.decode()
    assert "南明区民政局科员 · 认领" in page  # the history
    assert '<td data-label="办理人">南明区民政局科员</td>' in page  # the assignee column
    assert "520102-b" not in page
    assert '<option value="520102">南明区民政局管理员</option>' in client.get(f"/tasks/{task.pk}/").content.decode()
    client.post(f"/tasks/{task.pk}/reassign/", {"assignee": "520102"})
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "转交 → 南明区民政局管理员" in page and "tester · 启动流程" in page  # no such account: its name as given


def test_a_long_history_looks_each_person_up_once(client, review, offices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext


    people = ["520102", "520102-b", "5201", "gz", "nobody-by-that-name"]
    for n in range(30):
        api.record_event("instance.noted", instance=review, data={"n": n, "to": "gz-fin"}, actor=people[n % 5])
    offices["520102-b"].first_name = "南明区民政局科员"
    offices["520102-b"].save()
    client.force_login(offices["gz"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/instances/{review.pk}/").content.decode()
    lookups = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]
               and '"auth_user"."username" ' in q["sql"].partition("WHERE")[2]]
    # Everyone the history and the tasks name, in one query.
    assert len(lookups) == 1, lookups
    assert "南明区民政局科员" in page and "nobody-by-that-name" in page


def test_inbox_filters_list_only_what_the_user_sees_and_the_county_by_its_name(
        client, review, other_county, offices, django_user_model):
    station = Office.objects.create(code="520102-s1", name="南明区花果园街道社工站", kind="station",
                                    parent=Office.objects.get(code="520102"))
    Office.objects.create(code="520302-s1", name="红花岗区新蒲街道社工站", kind="station",
                          parent=Office.objects.get(code="520302"))
    user = django_user_model.objects.create_user("520102-s1")
    Membership.objects.create(user=user, office=station)

    def found(kind, text=""):
        answer = client.get("/offices/search/", {"kind": kind, "q": text}).json()["offices"]
        return [office["label"] for office in answer]

    client.force_login(user)  # a station: its own county and itself
    assert found("county_bureau") == ["南明区（520102）"]
    assert found("station") == ["南明区花果园街道社工站（520102-s1）"]
    assert 'data-office-kind="county_bureau"' in client.get("/").content.decode(), "searched, not listed"
    client.force_login(offices["5201"])  # a prefecture: its counties and their stations
    assert found("county_bureau") == ["南明区（520102）"] and len(found("station")) == 1
    client.force_login(offices["gz"])  # the province: all of them, as many as it types for
    assert found("county_bureau") == ["南明区（520102）", "红花岗区（520302）"]
    assert found("county_bureau", "红花") == ["红花岗区（520302）"] and found("county_bureau", "5203") == [
        "红花岗区（520302）"]
    assert client.get("/offices/search/", {"kind": "social_org"}).status_code == 404
    page = client.get("/instances/", {"county": "红花岗区（520302）"}).content.decode()
    assert '<td data-label="县(市、区)">红花岗区</td>' in page and '<td data-label="县(市、区)">南明区</td>' not in page
    page = client.get("/instances/").content.decode()
    assert '<td data-label="县(市、区)">南明区</td>' in page and '<td data-label="县(市、区)">红花岗区</td>' in page
    client.force_login(offices["520102"])
    page = client.get("/").content.decode()
    assert '<td data-label="县(市、区)">南明区</td>' in page
    assert '<label for="id_county">县(市、区)：</label>' in page  # the Chinese colon
    refused = client.get("/", {"county": "520302"}).content.decode()
    assert "“520302”不是您可查看的单位" in refused, "another county cannot be filtered by"
    client.cookies["django_language"] = "en"
    assert '<label for="id_county">County:</label>' in client.get("/").content.decode()


def test_the_instance_page_shows_the_process_data_readably_with_the_raw_data_behind_a_toggle(
        client, review, offices):
    instance = api.start("review", "plan-2026-520102-b", {
        "county": "520102", "year": 2026, "revisions": 0, "approved": True, "budget": "1234567.50",
        "signed_on": "2026-03-02", "reminded_at": "2026-03-02T01:30:00+00:00", "comment": None,
        "budget_lines": [{"item": "驻站社工薪酬", "amount": "240000.00"}, {"item": "<b>活动</b>", "amount": "60000.00"}],
        "award": {"lot": 1, "social_org": "org1"}, "stations": ["520102-s1", "520102-s2"],
        "decision": "return"}).instance
    page = login(client, offices, "gz").get(f"/instances/{instance.pk}/").content.decode()
    assert "<dd>Plan review 第 1 版</dd>" in page and "review v1" not in page
    data = page.split('<div class="process-data">')[1].split("</div>\n")[0]
    # Fields by their forms' labels (the key beside them), chosen options by theirs, offices by name.
    assert '<dt>预算金额(元) <span class="muted data-key">budget</span></dt><dd>1,234,567.50</dd>' in data
    assert '<dt>审核意见 <span class="muted data-key">decision</span></dt><dd>退回修改</dd>' in data
    assert '<dt>县(市、区) <span class="muted data-key">county</span></dt><dd>南明区民政局</dd>' in data
    assert ("<dt>signed_on</dt><dd>2026-03-02</dd>"
            '<dt>社工站 <span class="muted data-key">stations</span></dt><dd>520102-s1、520102-s2</dd>') in data
    assert "<dt>reminded_at</dt><dd>2026-03-02 09:30</dd>" in data  # China time
    assert "<dt>approved</dt><dd>是</dd>" in data
    assert '<dt>说明 <span class="muted data-key">comment</span></dt><dd><span class="muted">—</span></dd>' in data
    assert "<th>item</th><th>amount</th>" in data and "<td>驻站社工薪酬</td><td>240,000.00</td>" in data
    assert "&lt;b&gt;活动&lt;/b&gt;" in data and "<b>活动</b>" not in data  # what forms typed stays text
    assert ('<dt>award</dt><dd><dl class="data-list"><dt>lot</dt><dd>1</dd>'
            '<dt>承接社会组织 <span class="muted data-key">social_org</span></dt><dd>org1</dd></dl>') in data
    assert '<details class="raw-data"><summary>原始数据</summary><pre class="data">' in page
    assert "&quot;budget&quot;: &quot;1234567.50&quot;" in page


def test_a_draft_is_kept_per_person_and_task_until_the_form_is_submitted(client, review, offices):
    task = open_task(review, "write_plan")
    draft_url = f"/tasks/{task.pk}/draft/"
    login(client, offices, "520102")
    saved = client.post(draft_url, json.dumps({"background": "草稿中的背景"}), content_type="application/json")
    assert saved.status_code == 200 and "saved_at" in saved.json()
    assert escaped("草稿中的背景") in client.get(f"/tasks/{task.pk}/").content.decode()
    client.force_login(offices["520102-b"])  # a colleague sees the task, not the draft
    assert escaped("草稿中的背景") not in client.get(f"/tasks/{task.pk}/").content.decode()
    client.force_login(offices["520302"])  # another county's office may not keep one
    assert client.post(draft_url, json.dumps({"background": "x"}), content_type="application/json").status_code in (
        403, 404)
    login(client, offices, "520102")
    too_big = client.post(draft_url, json.dumps({"background": "字" * 600_000}), content_type="application/json")
    assert too_big.status_code == 400 and too_big.json()["errors"] == {"draft": "草稿过大，未保存"}
    assert submit(client, task, {"background": "安置点", "budget": "120000.00"}).status_code == 200
    assert not TaskDraft.objects.exists(), "a submitted form leaves no draft"
    late = client.post(draft_url, json.dumps({"background": "x"}), content_type="application/json")
    assert late.status_code == 409 and "已不在办理中" in late.json()["error"], "a completed task keeps no draft"
