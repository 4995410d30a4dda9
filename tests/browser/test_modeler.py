"""The modeler in a real browser: change a timer, see a broken expression marked, fix it, deploy, see v2;
the properties panel, the form editor, comparison and migration."""
import re

import pytest

from engine import api
from engine.extensions import service
from engine.api import deploy
from engine.models import DefinitionVersion
from workflows.models import Membership

from ..conftest import BPMN_DIR

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded calendar for later tests

KEY = "county_review"


@pytest.fixture
def owner_page(signed_in, offices, deploy_bpmn):
    """A page signed in as the provincial department's process owner, with county_review v1 deployed."""
    deploy_bpmn("county_review.bpmn", note="首次部署")
    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    return signed_in(offices["gz"])


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


def test_change_a_timer_see_the_broken_expression_marked_fix_it_deploy_and_see_version_2(
        owner_page, live_server, screenshot):
    page = owner_page
    open_modeler(page, live_server)

    set_timer(page, '"P3D')  # an unterminated string
    page.click("#btn-validate")
    badge = page.locator('.engine-problem-badge[data-element="cool_off"]')
    badge.wait_for()
    assert "engine-problem" in page.locator('.djs-element[data-element-id="cool_off"]').get_attribute("class")
    assert "“公示期”的定时表达式写法有误" in page.locator("#problem-list").inner_text()
    screenshot(page, "modeler-problem-marked")

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
    screenshot(page, "modeler-history")

    version = DefinitionVersion.objects.get(definition__key=KEY, number=2)
    xml = version.files.get(name="county_review.bpmn").content
    assert '"P3D"' in xml
    # Extensions the modeler does not edit survive the round trip: another tool's and SpiffWorkflow's own.
    assert re.search(r'<other:reviewPolicy level="strict">keep me</other:reviewPolicy>', xml)
    assert "<spiffworkflow:instructionsForEndUser>审核本县年度计划</spiffworkflow:instructionsForEndUser>" in xml

    page.goto(f"{live_server.url}/modeler/{KEY}/compare/?from=1&to=2")
    page.wait_for_selector("body[data-compare-ready=true]")
    assert "diff-changed" in page.locator('#compare-to .djs-element[data-element-id="cool_off"]').get_attribute("class")
    screenshot(page, "modeler-compare")


def test_the_properties_panel_edits_lane_role_and_due_date(owner_page, live_server, screenshot):
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
    screenshot(page, "modeler-user-task")

    xml = saved_xml(page)
    assert 'name="社工站"' in xml
    assert '<spiffworkflow:property name="formId" value="plan" />' in xml
    assert '<spiffworkflow:property name="dueDate" value="add_workdays(now(), 10)" />' in xml

    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")


def test_a_form_saved_in_the_form_editor_is_deployed_with_the_diagram(owner_page, live_server, screenshot):
    page = owner_page
    open_modeler(page, live_server)
    page.click("#modeler-forms a")
    page.wait_for_selector("body[data-formeditor-ready=true]")
    # The editor speaks Chinese; the form keeps its author's words.
    palette = page.locator(".fjs-palette").inner_text()
    assert "单行文本" in palette and "Text field" not in palette
    assert page.locator(".fjs-palette-search").get_attribute("placeholder") == "搜索组件"
    page.click(".fjs-form-field >> nth=0")
    page.wait_for_function("""() => document.querySelector('.fjs-properties-panel label[for="bio-properties-panel-label"]')
        ?.textContent === '标题'""")
    screenshot(page, "modeler-form-editor")
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


def test_migrate_a_running_instance_with_preview_and_progress(owner_page, live_server, screenshot):
    running = api.start(KEY, business_key="南明-2026", data={"county": "520102"}).instance
    bpmn = (BPMN_DIR / "county_review.bpmn").read_text(encoding="utf-8").replace('"P2D"', '"P3D"')
    forms = {"plan.form": (BPMN_DIR / "forms" / "plan.form").read_text(encoding="utf-8")}
    deploy({"county_review.bpmn": bpmn}, forms, note="公示期三天")

    page = owner_page
    page.goto(f"{live_server.url}/modeler/{KEY}/migrate/")
    page.select_option("#migration-to", "2")
    page.click("#btn-preview")
    page.wait_for_selector("#preview-rows tr.plan-safe")
    assert "南明-2026" in page.locator("#preview-rows").inner_text()
    screenshot(page, "modeler-migration-preview")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#btn-start")
    page.wait_for_selector("#modeler-status.success")
    assert page.locator("#job-progress").get_attribute("value") == "1"
    assert "已迁移" in page.locator("#job-rows").inner_text()
    screenshot(page, "modeler-migration-done")
    running.refresh_from_db()
    assert running.version.number == 2


def test_a_diagram_without_drawing_is_laid_out_and_still_validates(owner_page, live_server, deploy_bpmn,
                                                                  screenshot):
    deploy_bpmn("deadline.bpmn")
    page = owner_page
    page.goto(f"{live_server.url}/modeler/deadline/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.locator('.djs-element[data-element-id="place_workers"]').count() == 1
    assert "自动排版" in page.locator("#modeler-status").inner_text()
    select(page, "late")
    assert page.locator("#bio-properties-panel-engine-timerExpression").input_value() == "add_workdays(signed_on, 15)"
    screenshot(page, "modeler-laid-out")
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    # The lanes (not drawn) are still in the diagram the page would deploy.
    assert '<bpmn:lane id="lane_org" name="social_org">' in saved_xml(page)


@service("test.modeler_lookup")
def modeler_lookup(call):
    return {}


def test_service_handler_parameters_are_edited_as_lines(owner_page, live_server):
    bpmn = (BPMN_DIR / "service.bpmn").read_text(encoding="utf-8").replace("test.budget_lookup", "test.modeler_lookup")
    deploy({"service.bpmn": bpmn})
    page = owner_page
    page.goto(f"{live_server.url}/modeler/service/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")
    select(page, "lookup")
    assert page.locator("#bio-properties-panel-engine-serviceOperator").input_value() == "test.modeler_lookup"
    parameters = page.locator("#bio-properties-panel-engine-serviceParameters")
    assert parameters.input_value() == "county = county"
    parameters.fill("county\nyear = 2026")
    error = page.locator('[data-entry-id="engine-serviceParameters"] .bio-properties-panel-error')
    assert "第 1 行" in error.inner_text()
    parameters.fill("county = county\nyear = 2026")
    parameters.blur()
    page.wait_for_function("async () => (await window.modeler.saveXML()).xml.includes('value=\"2026\"')")
    xml = saved_xml(page)
    assert '<spiffworkflow:parameter id="county" type="str" value="county" />' in xml  # its type is kept
    assert '<spiffworkflow:parameter id="year" type="any" value="2026" />' in xml
    assert 'resultVariable="budget_info"' in xml


def test_multi_instance_over_a_variable_keeps_its_loop_references(owner_page, live_server, deploy_bpmn):
    deploy_bpmn("station_service.bpmn", "stations.bpmn")
    page = owner_page
    page.goto(f"{live_server.url}/modeler/stations/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.locator("#modeler-warnings").is_hidden()
    xml = saved_xml(page)
    assert "<bpmn:loopDataInputRef>station_codes</bpmn:loopDataInputRef>" in xml
    assert "<bpmn:loopDataOutputRef>reports</bpmn:loopDataOutputRef>" in xml
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")


def test_a_lint_warning_is_marked_apart_and_does_not_stop_deployment(owner_page, live_server):
    page = owner_page
    open_modeler(page, live_server)
    select(page, "cool_off")
    page.evaluate("""() => {
        const element = window.modeler.get('elementRegistry').get('cool_off');
        window.modeler.get('modeling').updateLabel(element, '');
    }""")
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    assert "另有 1 条提示" in page.locator("#modeler-status").inner_text()
    badge = page.locator('.engine-problem-badge.warning[data-element="cool_off"]')
    badge.wait_for()
    assert "engine-warning" in page.locator('.djs-element[data-element-id="cool_off"]').get_attribute("class")
    assert "提示" in page.locator(".engine-problem-item.warning .where").inner_text()
    page.click("#btn-deploy")
    page.fill("#deploy-note", "删去公示期名称")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")
