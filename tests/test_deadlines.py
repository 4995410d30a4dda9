"""A task's deadline as one property: due date, overdue timer and form text follow it, and it explains itself."""
from datetime import date

import pytest

from engine import api
from engine.api import calendar
from engine.errors import InvalidDefinition
from engine.models import Timer

from .steps import china, move_clock_to, open_task

FORM = """{"id": "placement", "type": "default", "components": [
  {"type": "text", "id": "intro", "text": "签订后 {{task_deadline.text}}内到岗。"},
  {"type": "textfield", "id": "worker", "key": "worker", "label": "驻站社工"}]}"""


def diagram(period=15, unit="workdays", timer="add_workdays(signed_on, 99)", follows=True, extra=""):
    """A placement task with a deadline, and an overdue timer whose own expression disagrees with it."""
    marker = "<bpmn:extensionElements><flow:followsDeadline /></bpmn:extensionElements>" if follows else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:flow="http://shegong-flow.cn/schema/bpmn/1.0" id="defs" targetNamespace="http://example.org/test">
  <bpmn:process id="placement" name="到岗" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_org" name="social_org"><bpmn:flowNodeRef>place</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_county" name="county_bureau"><bpmn:flowNodeRef>urge</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="place" name="安排社工到岗">
      <bpmn:extensionElements>
        <flow:deadline period="{period}" unit="{unit}" from="agreement.signed_on" basis="方案 三(三)3" {extra}/>
        <spiffworkflow:properties><spiffworkflow:property name="formId" value="placement" /></spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="late" name="到岗逾期" attachedToRef="place" cancelActivity="false">
      {marker}
      <bpmn:outgoing>f_late</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t_late"><bpmn:timeDate>{timer}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="urge" name="到岗逾期督办"><bpmn:incoming>f_late</bpmn:incoming><bpmn:outgoing>f_u</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="urged"><bpmn:incoming>f_u</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="place" />
    <bpmn:sequenceFlow id="f2" sourceRef="place" targetRef="done" />
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="urge" />
    <bpmn:sequenceFlow id="f_u" sourceRef="urge" targetRef="urged" />
  </bpmn:process>
</bpmn:definitions>"""


def deploy(**kwargs):
    return api.deploy({"placement.bpmn": diagram(**kwargs)}, {"placement.form": FORM}, actor="owner")


def start():
    clock_at = china(2026, 9, 30, 9)
    move_clock_to(clock_at)
    return api.start("placement", "p-1", {"county": "520102", "social_org": "org1",
                                          "agreement": {"signed_on": "2026-09-30"}}, actor="owner").instance


def test_due_date_and_timer_both_follow_the_deadline_across_the_national_day(offices):
    deploy()
    instance = start()
    task = open_task(instance, "place")
    # 1–7 October are holidays, Saturday 10 October a make-up working day: the 15th is 27 October.
    expected = calendar.add_workdays("2026-09-30", 15).at
    assert calendar.day_of(task.due_at) == date(2026, 10, 27) and task.due_at == expected
    (timer,) = Timer.objects.filter(instance=instance, bpmn_id="late")
    assert timer.due_at == expected  # not the 99 working days its own expression said
    assert task.deadline == {"period": 15, "unit": "workdays", "from": "agreement.signed_on", "basis": "方案 三(三)3",
                             "start": "2026-09-30"}
    move_clock_to(china(2026, 10, 28, 0, 1))
    assert open_task(instance, "urge")


def test_the_deadline_changed_in_one_place_moves_due_date_timer_and_form_text_of_migrated_tasks(owner):
    deploy()
    instance = start()
    assert api.task_form(open_task(instance, "place")).data["task_deadline"]["text"] == "15 个工作日"
    target = deploy(period=10).created[0]
    plan = api.migrate_instance(instance.pk, target.number, actor=owner)
    assert plan.safe, plan
    task = open_task(instance, "place")
    ten = calendar.add_workdays("2026-09-30", 10).at
    assert task.due_at == ten and task.deadline["period"] == 10
    assert Timer.objects.get(instance=instance, bpmn_id="late").due_at == ten
    data = api.task_form(task).data
    assert data["task_deadline"] == {"period": 10, "unit": "workdays", "basis": "方案 三(三)3",
                                     "text": "10 个工作日", "due": "2026-10-20"}


def test_calendar_days_roll_forward_off_a_rest_day(offices):
    deploy(period=3, unit="days")  # 3 October is in the holiday: the period ends on the 8th
    task = open_task(start(), "place")
    assert calendar.day_of(task.due_at) == date(2026, 10, 8)
    assert api.task_form(task).data["task_deadline"]["text"] == "3 日"


def test_a_due_date_explains_its_start_the_days_skipped_and_its_basis(offices):
    deploy()
    explanation = api.explain_due(open_task(start(), "place"))
    assert (explanation.start, explanation.last_day) == (date(2026, 9, 30), date(2026, 10, 27))
    assert explanation.deadline["basis"] == "方案 三(三)3" and not explanation.provisional
    kinds = {}
    for day in explanation.noted:
        kinds.setdefault(day.kind, []).append(day.day.day)
    # The notice lists the holiday's weekdays; its weekend is a weekend.
    assert kinds["holiday"] == [1, 2, 5, 6, 7] and kinds["weekend"] == [3, 4, 11, 17, 18, 24, 25]
    assert kinds["makeup"] == [10]
    assert {d.name for d in explanation.noted if d.kind == "holiday"} == {"国庆节"}


def test_a_due_date_in_a_year_without_its_notice_says_so(offices):
    deploy(period=80)  # into January 2027
    explanation = api.explain_due(open_task(start(), "place"))
    assert explanation.provisional and explanation.uncovered_years == [2027]


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"period": "fifteen"}, "“安排社工到岗”的办理期限须为 1 至 3660 之间的整数天数，而不是“fifteen”"),
    ({"period": 0}, "之间的整数天数，而不是“0”"),
    ({"unit": "weeks"}, "“安排社工到岗”的办理期限按工作日（workdays）或自然日（days）计算，而不是“weeks”"),
    ({"extra": 'from="signed_on; import os"'}, "起算日期“signed_on; import os”不是数据项名称"),
])
def test_a_malformed_deadline_is_refused_at_its_element(offices, kwargs, says):
    if "extra" in kwargs:
        text = diagram().replace('from="agreement.signed_on"', kwargs["extra"])
    else:
        text = diagram(**kwargs)
    with pytest.raises(InvalidDefinition) as raised:
        api.validate({"placement.bpmn": text}, {"placement.form": FORM})
    (problem,) = [p for p in raised.value.problems if says in p.message]
    assert problem.element == "place" and problem.line == 13


def test_a_timer_that_follows_a_task_without_deadline_is_refused(offices):
    text = diagram().replace('attachedToRef="place"', 'attachedToRef="urge"')
    with pytest.raises(InvalidDefinition, match="设为跟随任务期限，但所附任务没有办理期限"):
        api.validate({"placement.bpmn": text}, {"placement.form": FORM})


def test_a_hand_written_due_date_converts_to_a_deadline_its_timer_follows(offices):
    hand_written = (diagram(follows=False, timer="add_workdays(agreement['signed_on'], 15)")
                    .replace('<flow:deadline period="15" unit="workdays" from="agreement.signed_on" basis="方案 三(三)3" />',
                             "")
                    .replace('<spiffworkflow:property name="formId" value="placement" />',
                             '<spiffworkflow:property name="formId" value="placement" />'
                             '<spiffworkflow:property name="dueDate" value="add_workdays(agreement[\'signed_on\'], 15)" />'))
    converted, tasks = api.convert_deadlines(hand_written.encode(), "placement.bpmn")
    assert tasks == ["place"]
    text = converted.decode()
    assert 'period="15"' in text and 'from="agreement.signed_on"' in text and "followsDeadline" in text
    api.deploy({"placement.bpmn": converted}, {"placement.form": FORM}, actor="owner")
    task = open_task(start(), "place")
    assert task.due_at == calendar.add_workdays("2026-09-30", 15).at
    assert api.convert_deadlines(converted, "placement.bpmn") == (converted, [])


def test_every_lifecycle_due_date_of_a_plain_period_is_a_deadline():
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parent.parent.joinpath("bpmn").glob("*.bpmn")):
        assert api.convert_deadlines(path.read_bytes(), path.name)[1] == [], path.name
