"""The performance evaluation (bpmn/performance_evaluation.bpmn), called from the county cycle, and what next
year's plan shows of it."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.models import AuditEvent, HumanTask
from workflows.planning.models import Evaluation, ServiceAgreement

from .county_cycle_steps import (  # noqa: F401 - fixtures
    GUIYANG_COUNTY, PLAN, YEAR, award, complete, county_offices, lifecycle, open_tasks, plan_filed,
    publish_and_file, send, sign, start_cycle,
)
from .steps import move_clock_to, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluating(lifecycle, county_offices, django_capture_on_commit_callbacks):
    """A county cycle whose stations finished their service: the evaluation has begun."""
    instance = start_cycle()
    plan_filed(instance, county_offices)
    award(django_capture_on_commit_callbacks)
    sign(instance, county_offices)
    publish_and_file(instance, county_offices)
    send(django_capture_on_commit_callbacks, "station_services_finished")
    return instance


def test_findings_score_and_grade_are_stored(evaluating, county_offices):
    users, instance = county_offices, evaluating
    evaluation = Evaluation.objects.get(county__code=GUIYANG_COUNTY, year=YEAR)
    assert evaluation.state == "supervising" and evaluation.agreement == ServiceAgreement.objects.get(year=YEAR)
    complete(instance, "county_supervision", users[GUIYANG_COUNTY], {"county_findings": "台账齐全，月报按时。"})
    assert "evaluate_performance" not in open_tasks(instance), "both findings come first"
    complete(instance, "prefecture_supervision", users["5201"], {"prefecture_findings": "两站服务覆盖率达标。"})
    evaluation.refresh_from_db()
    assert evaluation.state == "evaluating"
    assert evaluation.county_findings == "台账齐全，月报按时。" and evaluation.prefecture_findings == "两站服务覆盖率达标。"
    scoring = open_tasks(instance)["evaluate_performance"]
    assert scoring.office == "gz"
    with pytest.raises(InvalidInput) as refused:
        complete(instance, "evaluate_performance", users["gz"], {"score": "101", "evaluation_summary": "好"})
    assert refused.value.errors == {"score": "「绩效评分」不能大于 100"}
    complete(instance, "evaluate_performance", users["gz"], {"score": "86.5", "evaluation_summary": "服务规范，成效明显。"})
    evaluation.refresh_from_db()
    assert evaluation.state == "concluded" and evaluation.score == Decimal("86.5") and evaluation.grade == "good"
    assert evaluation.get_grade_display() == "良好"
    instance = reload(instance)
    assert instance.state == "completed" and instance.data["grade"] == "good"
    assert list(AuditEvent.objects.filter(record_type="planning.Evaluation", instance=instance)
                .order_by("at", "id").values_list("to_state", flat=True)) == ["evaluating", "concluded"]


@pytest.mark.parametrize("score, grade", [("90", "excellent"), ("89.9", "good"), ("60", "pass"), ("59.9", "fail")])
def test_grade_follows_the_score_bands(evaluating, county_offices, score, grade):
    users, instance = county_offices, evaluating
    complete(instance, "county_supervision", users[GUIYANG_COUNTY], {"county_findings": "无"})
    complete(instance, "prefecture_supervision", users["5201"], {"prefecture_findings": "无"})
    complete(instance, "evaluate_performance", users["gz"], {"score": score, "evaluation_summary": "见评分"})
    assert Evaluation.objects.get(year=YEAR).grade == grade


def test_overdue_findings_escalate_upwards(evaluating, county_offices):
    instance = evaluating
    due = open_tasks(instance)["county_supervision"].due_at
    assert due == open_tasks(instance)["prefecture_supervision"].due_at
    move_clock_to(due + timedelta(seconds=1))
    tasks = open_tasks(instance)
    assert tasks["supervise_county_findings"].office == "5201"
    assert tasks["supervise_prefecture_findings"].office == "gz"


def test_escalations_still_open_are_cancelled_when_the_evaluation_concludes(evaluating, county_offices):
    users, instance = county_offices, evaluating
    move_clock_to(open_tasks(instance)["county_supervision"].due_at + timedelta(seconds=1))
    tasks = open_tasks(instance)
    escalations = [tasks["supervise_county_findings"], tasks["supervise_prefecture_findings"]]
    complete(instance, "county_supervision", users[GUIYANG_COUNTY], {"county_findings": "台账齐全。"})
    complete(instance, "prefecture_supervision", users["5201"], {"prefecture_findings": "覆盖达标。"})
    assert set(open_tasks(instance)) == {"evaluate_performance", "supervise_county_findings",
                                         "supervise_prefecture_findings"}
    complete(instance, "evaluate_performance", users["gz"], {"score": "75", "evaluation_summary": "基本达标。"})
    # The evaluation ends with its 督办 tasks, and the county cycle that called it ends too.
    assert Evaluation.objects.get(year=YEAR).state == "concluded"
    assert reload(instance).state == "completed"
    for escalation in escalations:
        assert HumanTask.objects.get(pk=escalation.pk).state == "cancelled"
        assert AuditEvent.objects.filter(instance=instance, task_id=escalation.id, action="task.cancel").count() == 1


def test_next_years_plan_shows_last_years_evaluation(evaluating, county_offices):
    users, instance = county_offices, evaluating
    complete(instance, "county_supervision", users[GUIYANG_COUNTY], {"county_findings": "台账齐全。"})
    complete(instance, "prefecture_supervision", users["5201"], {"prefecture_findings": "覆盖达标。"})
    complete(instance, "evaluate_performance", users["gz"], {"score": "92", "evaluation_summary": "成效突出。"})
    next_year = start_cycle(year=YEAR + 1)
    shown = reload(next_year).data["previous_evaluation"]
    assert shown == {"year": YEAR, "score": "92.0", "grade": "优秀", "summary": "成效突出。",
                     "county_findings": "台账齐全。", "prefecture_findings": "覆盖达标。",
                     "social_org": "org1", "social_org_name": "贵州阳光社会工作服务中心"}
    # The form shows it read-only: what the county submits cannot change it.
    complete(next_year, "write_plan", users[GUIYANG_COUNTY],
             {**PLAN, "objectives": "巩固上年成效。", "previous_evaluation": {"grade": "不合格"}})
    assert reload(next_year).data["previous_evaluation"]["grade"] == "优秀"
    other_county = start_cycle("520302", year=YEAR + 1, stations=["520302-s1"])
    assert reload(other_county).data["previous_evaluation"] is None

