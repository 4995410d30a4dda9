"""The placement deadline changed from 15 to 10 working days in one place in the modeler: the overdue
timer and the form's text follow it, the change is deployed, a running instance migrated, and who may
see it stays the same."""
import re

import pytest

from engine import api
from engine.api import calendar
from engine.models import ProcessInstance, Timer
from workflows.visibility import instances_visible_to

from ..steps import open_task
from ..test_station_service import service, start  # noqa: F401 - `service` is a fixture
from .test_modeler import owner_page, select  # noqa: F401 - `owner_page` is a fixture

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def visibility(offices):
    return {code: set(instances_visible_to(user, ProcessInstance.objects.all()).values_list("pk", flat=True))
            for code, user in offices.items()}


def test_the_placement_deadline_changed_in_one_place_moves_timer_and_text_and_migrates(
        owner_page, live_server, service, offices, owner, screenshot):  # noqa: F811
    page = owner_page
    instance = start(service)
    assert api.task_form(open_task(instance, "place_workers")).data["task_deadline"]["text"] == "15 个工作日"
    seen_before = visibility(offices)

    page.goto(f"{live_server.url}/modeler/station_service/v1/")
    page.wait_for_selector("body[data-modeler-ready=true]")
    select(page, "place_workers")
    period = page.locator("#bio-properties-panel-engine-deadlinePeriod")
    assert period.input_value() == "15"
    assert page.locator("#bio-properties-panel-engine-deadlineFrom").input_value() == "signed_on"
    assert "到岗逾期 → 社工到岗逾期督办（县(市、区)民政局）" in page.locator("#bio-properties-panel-engine-deadlineEscalation").input_value()
    assert page.locator("#bio-properties-panel-engine-dueDate").count() == 0  # no second place to write it
    period.fill("10")
    period.blur()
    page.wait_for_function("""() => window.modeler.get('elementRegistry').get('place_workers').businessObject
        .extensionElements.values.some((value) => value.period === '10')""")
    xml = page.evaluate("async () => (await window.modeler.saveXML()).xml")
    assert '<spiffworkflow:property name="dueDate" value="add_workdays(signed_on, 10)" />' in xml
    assert re.search(r"<bpmn:timeDate[^>]*>add_workdays\(signed_on, 10\)</bpmn:timeDate>", xml)
    assert "add_workdays(signed_on, 15)" not in xml

    select(page, "placement_late")
    assert page.locator("#bio-properties-panel-engine-followsDeadline").is_checked()
    timer = page.locator("#bio-properties-panel-engine-timerExpression")
    assert timer.is_disabled() and timer.input_value() == "add_workdays(signed_on, 10)"
    screenshot(page, "modeler-deadline-timer")

    page.click("#btn-deploy")
    page.fill("#deploy-note", "到岗期限改为 10 个工作日")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")

    plan = api.migrate_instance(instance.pk, 2, actor=owner)
    assert plan.safe, plan.reasons
    task = open_task(instance, "place_workers")
    ten = calendar.add_workdays("2025-12-10", 10).at
    assert task.due_at == ten and Timer.objects.get(instance=instance, bpmn_id="placement_late").due_at == ten
    assert visibility(offices) == seen_before

    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    page.wait_for_selector("#task-form .fjs-form")
    assert "服务协议签订后 10 个工作日内" in page.locator("#task-form").inner_text()
    page.click(".due-explanation summary")
    assert "期限 10 个工作日" in page.locator(".due-explanation").inner_text()
    screenshot(page, "task-deadline-explained")
