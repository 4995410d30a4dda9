"""A process owner edits a business rule task's decision table in the browser, tries it on a sample, and
deploys it with the diagram as one new version; a new table is created and picked for the task; others
may look but not save or try."""
import json

import pytest
from django.test import Client
from django.urls import reverse

from engine import api
from workflows.models import Membership

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

KEY = "grading"

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="grading_definitions"
    targetNamespace="http://example.org">
  <bpmn:process id="grading" name="考核定级" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="rate" name="评定等级">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>grade</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rate" />
    <bpmn:sequenceFlow id="f2" sourceRef="rate" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="grading">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="rate_di" bpmnElement="rate"><dc:Bounds x="280" y="138" width="120" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="470" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="216" y="178" /><di:waypoint x="280" y="178" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="400" y="178" /><di:waypoint x="470" y="178" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="grade_definitions" name="评定等级"
    namespace="http://example.org/dmn">
  <decision id="grade" name="评定等级">
    <decisionTable id="grade_table" hitPolicy="UNIQUE">
      <input id="score_input" label="考核得分">
        <inputExpression id="score_expression" typeRef="number"><text>score</text></inputExpression>
      </input>
      <output id="level_output" label="等级" name="level" typeRef="string" />
      <rule id="excellent"><inputEntry id="excellent_in"><text>&gt;= 90</text></inputEntry>
        <outputEntry id="excellent_out"><text>"优秀"</text></outputEntry></rule>
      <rule id="pass"><inputEntry id="pass_in"><text>[60..90[</text></inputEntry>
        <outputEntry id="pass_out"><text>"合格"</text></outputEntry></rule>
      <rule id="fail"><inputEntry id="fail_in"><text>&lt; 60</text></inputEntry>
        <outputEntry id="fail_out"><text>"不合格"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.fixture
def deployed(db, offices):
    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    api.deploy({f"{KEY}.bpmn": BPMN, "grade.dmn": DMN}, {}, note="首次部署", actor=offices["gz"])


def open_modeler(page, live_server):
    page.goto(f"{live_server.url}/modeler/{KEY}/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")


def select_task(page):
    page.click('.djs-element[data-element-id="rate"]')
    page.wait_for_selector('.djs-element.selected[data-element-id="rate"]')


def edit_cell(page, row, text):
    """Write `text` into the input cell of rule `row` (1-based), as a user types into it."""
    page.locator(".tjs-table tbody tr").nth(row - 1).locator("td.input-cell").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)  # typed, brackets would be closed for us
    page.keyboard.press("Escape")
    page.wait_for_function("async (text) => (await window.decisionEditor.saveXML()).xml.includes(text)",
                           arg=text.replace(">", "&gt;").replace("<", "&lt;"))


def test_the_owner_edits_a_decision_tries_it_and_deploys_it_with_the_diagram(signed_in, live_server, offices,
                                                                            deployed, screenshot):
    page = signed_in(offices["gz"])
    open_modeler(page, live_server)
    select_task(page)
    decision = page.locator("#bio-properties-panel-engine-calledDecision")
    assert decision.input_value() == "grade"
    page.click("a.engine-decision-link")
    page.wait_for_selector("body[data-decision-ready=true]")
    # The table is shown in Chinese, its try form asks for the one data name it reads.
    assert "命中策略" in page.locator("#decision-table").inner_text()
    assert "唯一（UNIQUE）" in page.locator("#decision-table").inner_text()
    score = page.locator("#try-score")
    score.wait_for()
    assert "考核得分（score）" in page.locator("#try-fields").inner_text()

    # 85 becomes excellent: the first rule's condition is edited in its cell. Tried before the second
    # rule follows, both rules apply, which the unique hit policy refuses.
    edit_cell(page, 1, ">= 85")
    score.fill("87")
    page.click("#btn-try")
    page.wait_for_selector("#try-result .modeler-status.error")
    assert "第 1、2 条规则同时适用" in page.locator("#try-result").inner_text()
    edit_cell(page, 2, "[60..85[")
    page.click("#btn-try")
    page.wait_for_selector("#try-result .try-outputs")
    assert "等级（level）\n优秀" in page.locator("#try-result .try-outputs").inner_text()
    assert "匹配的规则：第 1 条" in page.locator("#try-result").inner_text()
    assert "try-applied" in page.locator(".tjs-table tbody tr").nth(0).get_attribute("class")
    assert "try-matched" not in (page.locator(".tjs-table tbody tr").nth(1).get_attribute("class") or "")
    screenshot(page, "decision-tried")

    # A sample that is not a number is refused beside its field, in Chinese.
    score.fill("八十")
    page.click("#btn-try")
    page.wait_for_selector("#try-fields .try-error:has-text('不是数字')")

    page.click("#btn-save-decision")
    page.wait_for_selector("#modeler-status.success")
    page.click("#back-to-diagram")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert "grade.dmn" in page.locator("#modeler-decisions").inner_text()
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    page.click("#btn-deploy")
    page.fill("#deploy-note", "85 分以上评为优秀")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")

    deployed_now = api.diagram(KEY, 2)
    assert "&gt;= 85" in deployed_now["decisions"]["grade.dmn"] and "[60..85[" in deployed_now["decisions"]["grade.dmn"]
    assert "&gt;= 90" in api.diagram(KEY, 1)["decisions"]["grade.dmn"]


def test_a_new_decision_is_picked_for_the_task_and_its_problems_named_by_file_and_line(
        signed_in, live_server, offices, deployed, screenshot):
    page = signed_in(offices["gz"])
    open_modeler(page, live_server)
    page.click("#btn-new-decision")
    page.fill("#decision-id", "grade")
    page.click("#decision-confirm")
    assert "已有编号为 grade 的决策表" in page.locator("#decision-error").inner_text()
    page.fill("#decision-id", "bonus")
    page.fill("#decision-name", "奖励档次")
    page.click("#decision-confirm")
    page.wait_for_selector("body[data-decision-ready=true]")
    assert "奖励档次" in page.locator("#decision-table").inner_text()
    # The new table has no input expression yet: the try panel says what to write, at its line.
    page.wait_for_selector("#try-result .engine-problem-item")
    assert "没有表达式" in page.locator("#try-result").inner_text()

    page.click("#back-to-diagram")
    page.wait_for_selector("body[data-modeler-ready=true]")
    select_task(page)
    page.select_option("#bio-properties-panel-engine-calledDecision", "bonus")
    assert "bonus.dmn" in page.locator("a.engine-decision-link").inner_text()
    xml = page.evaluate("async () => (await window.modeler.saveXML()).xml")
    assert "<spiffworkflow:calledDecisionId>bonus</spiffworkflow:calledDecisionId>" in xml
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.error")
    problem = page.locator(".engine-problem-item", has_text="没有表达式")
    assert "bonus.dmn · 第 5 行" in problem.locator(".where").inner_text()
    assert problem.locator("a.engine-problem-open").count() == 1
    page.locator('.engine-problem-badge[data-element="rate"]').wait_for()  # on the task calling the table
    screenshot(page, "decision-problem-listed")

    # Picking the task's decision is undone as one step.
    page.evaluate("() => window.modeler.get('commandStack').undo()")
    xml = page.evaluate("async () => (await window.modeler.saveXML()).xml")
    assert "<spiffworkflow:calledDecisionId>grade</spiffworkflow:calledDecisionId>" in xml


def test_others_see_the_table_but_may_not_save_or_try_it(offices, deployed):
    client = Client()
    client.force_login(offices["5201"])
    kwargs = {"key": KEY, "number": 1, "file_name": "grade.dmn"}
    page = client.get(reverse("webui:modeler_decision", kwargs=kwargs))
    assert page.status_code == 200
    assert b"btn-save-decision" not in page.content and b"try-form" not in page.content
    for name, body in (("webui:modeler_decision_try", {"dmn": DMN, "sample": {"score": "95"}}),
                       ("webui:modeler_decision_inputs", {"dmn": DMN})):
        refused = client.post(reverse(name, kwargs=kwargs), json.dumps(body), content_type="application/json")
        assert refused.status_code == 403 and "流程负责人" in refused.json()["error"]
    refused = client.post(reverse("webui:modeler_draft", kwargs={"key": KEY, "number": 1}),
                          json.dumps({"decisions": {"grade.dmn": DMN}}), content_type="application/json")
    assert refused.status_code == 403


def test_a_draft_takes_decision_files_by_name_within_the_size_limit(client, offices, deployed, settings):
    client.force_login(offices["gz"])
    url = reverse("webui:modeler_draft", kwargs={"key": KEY, "number": 1})

    def draft(decisions):
        return client.post(url, json.dumps({"decisions": decisions}), content_type="application/json")

    assert draft({"../grade.dmn": DMN}).status_code == 400
    assert "必须以 .dmn 结尾" in draft({"grade.xml": DMN}).json()["error"]
    settings.ENGINE = {**settings.ENGINE, "MAX_BPMN_BYTES": len(DMN.encode()) - 1}
    assert draft({"grade.dmn": DMN}).status_code == 413
