"""The modeler in a real browser: change a timer, see a broken expression marked, fix it, deploy, see v2."""
import os
import re

import pytest
from django.test import Client

from engine.models import DefinitionVersion
from workflows.models import Membership

from ..conftest import BPMN_DIR

playwright = pytest.importorskip("playwright.sync_api")

SCREENSHOTS = BPMN_DIR.parent.parent / "test-artifacts" / "screenshots"
KEY = "county_review"


@pytest.fixture
def browser_page(live_server):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
        yield context
        browser.close()


@pytest.fixture
def owner_page(browser_page, live_server, offices, deploy_bpmn):
    deploy_bpmn("county_review.bpmn", note="首次部署")
    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    client = Client()
    client.force_login(offices["gz"])
    browser_page.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    page = browser_page.new_page()
    page.set_default_timeout(15000)
    return page


def open_modeler(page, live_server, number=1):
    page.goto(f"{live_server.url}/modeler/{KEY}/v{number}/")
    page.wait_for_selector("body[data-modeler-ready=true]")


def select(page, element_id, **click):
    selected = f'.djs-element.selected[data-element-id="{element_id}"]'
    if not page.locator(selected).count():
        page.click(f'.djs-element[data-element-id="{element_id}"]', **click)
    page.wait_for_selector(selected)


def set_timer(page, expression):
    select(page, "cool_off")
    field = page.locator("#bio-properties-panel-engine-timerExpression")
    field.fill(expression)
    field.blur()
    # The panel writes after its debounce; the diagram's XML then holds the new expression.
    page.wait_for_function("""async (expected) => {
        const { xml } = await window.modeler.saveXML();
        return xml.includes(expected);
    }""", arg=expression)


def saved_xml(page):
    return page.evaluate("async () => (await window.modeler.saveXML({ format: true })).xml")


def test_change_a_timer_see_the_broken_expression_marked_fix_it_deploy_and_see_version_2(owner_page, live_server):
    page = owner_page
    open_modeler(page, live_server)

    set_timer(page, '"P3D')  # an unterminated string
    page.click("#btn-validate")
    badge = page.locator('.engine-problem-badge[data-element="cool_off"]')
    badge.wait_for()
    assert "engine-problem" in page.locator('.djs-element[data-element-id="cool_off"]').get_attribute("class")
    assert "cool_off" in page.locator("#problem-list").inner_text()
    page.screenshot(path=SCREENSHOTS / "modeler-problem-marked.png", full_page=True)

    set_timer(page, '"P3D"')
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    assert page.locator(".engine-problem-badge").count() == 0

    page.click("#btn-deploy")
    page.fill("#deploy-note", "公示期改为三天")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")
    page.click("#modeler-deployed a")
    page.wait_for_selector('tr[data-version="2"]')
    row = page.locator('tr[data-version="2"]').inner_text()
    assert "公示期改为三天" in row and "gz" in row
    page.screenshot(path=SCREENSHOTS / "modeler-history.png", full_page=True)

    version = DefinitionVersion.objects.get(definition__key=KEY, number=2)
    xml = version.files.get(name="county_review.bpmn").content
    assert '"P3D"' in xml
    # Extensions the modeler does not edit survive the round trip: another tool's and SpiffWorkflow's own.
    assert re.search(r'<other:reviewPolicy level="strict">keep me</other:reviewPolicy>', xml)
    assert "<spiffworkflow:instructionsForEndUser>审核本县年度计划</spiffworkflow:instructionsForEndUser>" in xml

    page.goto(f"{live_server.url}/modeler/{KEY}/compare/?from=1&to=2")
    page.wait_for_selector("body[data-compare-ready=true]")
    assert "diff-changed" in page.locator('#compare-to .djs-element[data-element-id="cool_off"]').get_attribute("class")
    page.screenshot(path=SCREENSHOTS / "modeler-compare.png", full_page=True)


def test_the_properties_panel_edits_lane_role_form_due_date_and_service(owner_page, live_server):
    page = owner_page
    open_modeler(page, live_server)

    lane = page.locator('.djs-element[data-element-id="lane_county"]').bounding_box()
    select(page, "lane_county", position={"x": lane["width"] * 0.6, "y": lane["height"] - 12})  # empty spot
    page.select_option("#bio-properties-panel-engine-laneRole", "station")
    select(page, "review")
    assert page.locator("#bio-properties-panel-engine-taskLane").input_value() == "社工站（station）"
    due = page.locator("#bio-properties-panel-engine-dueDate")
    assert due.input_value() == "add_workdays(now(), 5)"
    due.fill("add_workdays(now(), 10)")
    due.blur()
    page.wait_for_function("async () => (await window.modeler.saveXML()).xml.includes('add_workdays(now(), 10)')")
    page.screenshot(path=SCREENSHOTS / "modeler-user-task.png", full_page=True)

    xml = saved_xml(page)
    assert 'name="社工站"' in xml
    assert '<spiffworkflow:property name="formId" value="plan" />' in xml
    assert '<spiffworkflow:property name="dueDate" value="add_workdays(now(), 10)" />' in xml

    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")


def test_a_form_saved_in_the_form_editor_is_deployed_with_the_diagram(owner_page, live_server):
    page = owner_page
    open_modeler(page, live_server)
    page.click("#modeler-forms a")
    page.wait_for_selector("body[data-formeditor-ready=true]")
    page.screenshot(path=SCREENSHOTS / "modeler-form-editor.png", full_page=True)
    page.evaluate("""() => {
        const modeling = window.formEditor.get('modeling');
        const formField = window.formEditor._getState().schema.components[0];
        modeling.editFormField(formField, 'label', '项目背景说明');
    }""")
    page.click("#btn-save-form")
    page.wait_for_selector("#modeler-status.success")

    open_modeler(page, live_server)
    assert page.locator("#modeler-edited").is_visible()
    set_timer(page, '"P4D"')
    page.click("#btn-deploy")
    page.fill("#deploy-note", "表单与公示期")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")
    form = DefinitionVersion.objects.get(definition__key=KEY, number=2).form("plan")
    assert form["components"][0]["label"] == "项目背景说明"


def test_migrate_a_running_instance_with_preview_and_progress(owner_page, live_server, deploy_bpmn):
    from engine import api
    from engine.deployment import deploy

    running = api.start(KEY, business_key="南明-2026", data={"county": "520102"})
    bpmn = (BPMN_DIR / "county_review.bpmn").read_text(encoding="utf-8").replace('"P2D"', '"P3D"')
    forms = {"plan.form": (BPMN_DIR / "forms" / "plan.form").read_text(encoding="utf-8")}
    deploy({"county_review.bpmn": bpmn}, forms, note="公示期三天")

    page = owner_page
    page.goto(f"{live_server.url}/modeler/{KEY}/migrate/")
    page.select_option("#migration-to", "2")
    page.click("#btn-preview")
    page.wait_for_selector("#preview-rows tr.plan-safe")
    assert "南明-2026" in page.locator("#preview-rows").inner_text()
    page.screenshot(path=SCREENSHOTS / "modeler-migration-preview.png", full_page=True)

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#btn-start")
    page.wait_for_selector("#modeler-status.success")
    assert page.locator("#job-progress").get_attribute("value") == "1"
    assert "已迁移" in page.locator("#job-rows").inner_text()
    page.screenshot(path=SCREENSHOTS / "modeler-migration-done.png", full_page=True)
    running.refresh_from_db()
    assert running.version.number == 2


def test_a_diagram_without_drawing_is_laid_out_and_still_validates(owner_page, live_server, deploy_bpmn):
    deploy_bpmn("deadline.bpmn")
    page = owner_page
    page.goto(f"{live_server.url}/modeler/deadline/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.locator('.djs-element[data-element-id="place_workers"]').count() == 1
    assert "自动排版" in page.locator("#modeler-status").inner_text()
    select(page, "late")
    assert page.locator("#bio-properties-panel-engine-timerExpression").input_value() == "add_workdays(signed_on, 15)"
    page.screenshot(path=SCREENSHOTS / "modeler-laid-out.png", full_page=True)
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    # The lanes (not drawn) are still in the diagram the page would deploy.
    assert '<bpmn:lane id="lane_org" name="social_org">' in saved_xml(page)
