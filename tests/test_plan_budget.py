"""The annual plan's budget lines add up to its budget, or the plan is not submitted."""
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.models import AuditEvent, HumanTask
from workflows.planning.models import AnnualPlan

from .county_cycle_steps import (  # noqa: F401 - fixtures
    GUIYANG_COUNTY, PLAN, YEAR, complete, county_offices, lifecycle, open_tasks, start_cycle,
)
from .steps import reload

pytestmark = pytest.mark.django_db


def test_a_plan_whose_lines_do_not_add_up_is_refused_on_the_budget_field(lifecycle, county_offices):
    instance = start_cycle()
    county = county_offices[GUIYANG_COUNTY]
    events = AuditEvent.objects.filter(instance=instance).count()
    lines = [{"item": "驻站社工薪酬", "category": "personnel", "amount": "5000000.00"}]
    with pytest.raises(InvalidInput) as refused:
        complete(instance, "write_plan", county, {**PLAN, "budget": "100000.00", "budget_lines": lines})
    assert refused.value.errors == {
        "budget": "预算明细合计 5,000,000.00 元，与预算总额 100,000.00 元不一致（相差 4,900,000.00 元）"}
    # Nothing changed: the task is still open, the plan a draft, the trail as it was.
    assert open_tasks(instance)["write_plan"].state == "open"
    assert AnnualPlan.objects.get(county__code=GUIYANG_COUNTY, year=YEAR).state == "draft"
    assert AuditEvent.objects.filter(instance=instance).count() == events
    assert reload(instance).state == "running"

    # A fen off is still off.
    short = [{**PLAN["budget_lines"][0]}, {**PLAN["budget_lines"][1], "amount": "59999.99"}]
    with pytest.raises(InvalidInput) as refused:
        complete(instance, "write_plan", county, {**PLAN, "budget_lines": short})
    assert "相差 0.01 元" in refused.value.errors["budget"]

    # Amounts typed without the fen add up all the same.
    complete(instance, "write_plan", county, {**PLAN, "budget": "300000", "budget_lines": [
        {"item": "驻站社工薪酬", "category": "personnel", "amount": "240000"},
        {"item": "社区活动", "category": "activity", "amount": "60000.0"}]})
    plan = AnnualPlan.objects.get(county__code=GUIYANG_COUNTY, year=YEAR)
    assert plan.state == "submitted" and plan.budget == Decimal("300000.00")
    assert not HumanTask.objects.filter(instance=instance, bpmn_id="write_plan", state="open").exists()


def test_the_form_shows_the_refusal_at_the_budget_field_in_chinese(client, lifecycle, county_offices):
    instance = start_cycle()
    task = open_tasks(instance)["write_plan"]
    client.force_login(county_offices[GUIYANG_COUNTY])
    answer = client.post(f"/tasks/{task.pk}/submit/", {**PLAN, "budget": "100000.00"},
                         content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "budget": "预算明细合计 300,000.00 元，与预算总额 100,000.00 元不一致（相差 200,000.00 元）"}
