"""`manage.py simulate`: a small year of the real lifecycle (bpmn/) played through the engine."""
import random
from functools import partial

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import api
from engine.models import AuditEvent, HumanTask, ProcessInstance
from workflows.models import Office
from workflows.planning.models import AnnualPlan, Evaluation, ServiceAgreement
from workflows.procurement.models import Complaint, Lot, ProcurementProject
from workflows.sample_data import load_sample_data
from workflows.simulation.lifecycle import choose_counties

from .steps import command_output

pytestmark = pytest.mark.django_db

STATUTORY_STEPS = ["编制年度实施计划", "审核年度实施计划", "年度计划备案", "签订服务协议", "公告服务协议", "服务协议备案",
                   "评标并提交评标报告", "采购人确定中标人", "发布中标公告、发出中标通知书", "安排社工到岗", "提交报告",
                   "省级绩效评价", "受理质疑，判断是否影响中标结果", "答复质疑", "受理投诉，决定是否暂停采购活动",
                   "作出投诉处理决定"]


simulate = partial(command_output, "simulate")


@pytest.fixture
def small_year():
    return simulate("--year", "2026", "--stations", "2", "--seed", "1")


def test_a_small_year_completes_every_instance_and_reports_the_statutory_steps(small_year):
    counts = {key: ProcessInstance.objects.filter(version__definition__key=key).count()
              for key in ("county_annual_cycle", "provincial_procurement", "station_service", "procurement_challenge",
                          "procurement_complaint")}
    assert counts["provincial_procurement"] == 1 and counts["station_service"] == 2
    assert counts["procurement_challenge"] == counts["procurement_complaint"] == 2
    assert set(ProcessInstance.objects.values_list("state", flat=True)) == {"completed"}, small_year
    assert AnnualPlan.objects.filter(year=2026, state="filed").count() == counts["county_annual_cycle"]
    # Each county's agreement closed its procurement lot.
    agreements = ServiceAgreement.objects.filter(year=2026)
    assert agreements.count() == counts["county_annual_cycle"]
    assert set(Lot.objects.filter(pk__in=agreements.values("lot")).values_list("state", flat=True)) == {"signed"}
    # One complaint upheld, the award set aside: the lot was tendered again after the finance guidance; one dismissed.
    assert sorted(Complaint.objects.values_list("outcome", flat=True)) == ["award_void", "dismissed"]
    retendered = Lot.objects.get(set_aside_on__isnull=False)
    assert retendered.tender_round == 2 and retendered.pk in agreements.values_list("lot", flat=True)
    assert HumanTask.objects.filter(bpmn_id="give_guidance", completed_at__date__gt=retendered.set_aside_on).exists()
    for step in STATUTORY_STEPS:
        assert step in small_year, step
    assert "met" in small_year and "result: ok" in small_year
    assert "tasks completed in" in small_year
    # Offices did the work through their own accounts, or a substitute on their behalf during a leave.
    done = HumanTask.objects.filter(state="completed")
    stood_in = set(AuditEvent.objects.filter(action="task.complete", data__has_key="on_behalf_of")
                   .values_list("task_id", flat=True))
    assert done.exists() and all(task.completed_by == task.office or task.pk in stood_in for task in done)


def test_a_year_simulated_again_with_reset_replaces_its_records(small_year):
    first = set(AnnualPlan.objects.filter(year=2026).values_list("pk", flat=True))
    again = simulate("--year", "2026", "--stations", "2", "--seed", "1", "--reset-year")
    assert "deleted the year's records" in again and "result: ok" in again, again
    plans = set(AnnualPlan.objects.filter(year=2026, state="filed").values_list("pk", flat=True))
    assert len(plans) == len(first) and not plans & first
    [cleared] = AuditEvent.objects.filter(action="simulation.year_cleared")
    assert cleared.data["year"] == 2026 and cleared.data["deleted"]["planning.AnnualPlan"] == len(first)
    # Next year's lot shows this year's evaluation: the year's records are kept, all of them, and it says why.
    evaluation = Evaluation.objects.filter(year=2026).first()
    project = ProcurementProject.objects.create(year=2027, code="procurement-2027", title="2027")
    Lot.objects.create(project=project, number=1, county=evaluation.county, budget=0, previous_evaluation=evaluation)
    with pytest.raises(CommandError, match="2026 cannot be simulated again: records of a later year rely on"):
        simulate("--year", "2026", "--stations", "2", "--seed", "1", "--reset-year")
    assert set(AnnualPlan.objects.filter(year=2026).values_list("pk", flat=True)) == plans


def test_the_same_year_again_is_refused_without_reset(deploy_bpmn):
    deploy_bpmn("quick_timer.bpmn")
    api.start("quick_timer", data={"year": 2026})
    with pytest.raises(CommandError, match="already holds 1 instances of 2026"):
        simulate("--year", "2026", "--stations", "2")


def test_a_reset_cancels_the_years_open_instances(deploy_bpmn):
    deploy_bpmn("quick_timer.bpmn")
    waiting = api.start("quick_timer", data={"year": 2026}).instance
    with CaptureQueriesContext(connection) as queries:
        out = simulate("--year", "2026", "--stations", "2", "--seed", "1", "--reset-year")
    assert "cancelled 1 open instances of the year" in out and "result: ok" in out, out
    waiting.refresh_from_db()
    assert waiting.state == "cancelled"
    # Found by their ids alone: an interrupted national year leaves a hundred thousand, each with its data.
    found = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")
             and 'FROM "engine_processinstance"' in q["sql"] and "year" in q["sql"] and "'running'" in q["sql"]]
    assert found and all("," not in sql.partition(" FROM ")[0] for sql in found), found


def test_workers_are_refused_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="--workers needs PostgreSQL"):
        simulate("--year", "2026", "--stations", "2", "--workers", "2")
    with pytest.raises(CommandError, match="--workers must be 0"):
        simulate("--year", "2026", "--stations", "2", "--workers", "-1")


@pytest.mark.parametrize("args, message", [
    (("--year", "1999", "--stations", "2"), "--year must be a year from 2000 to 2100, not 1999"),
    (("--year", "99999", "--stations", "2"), "--year must be a year from 2000 to 2100, not 99999"),
    (("--year", "2027", "--national", "--stations", "200001"),
     "--stations: a synthetic nation has 1 to 200,000 stations, not 200001")])
def test_a_year_or_a_nation_out_of_bounds_is_refused_before_anything_is_loaded(args, message):
    with pytest.raises(CommandError) as refused:
        simulate(*args)
    assert str(refused.value) == message
    assert not Office.objects.exists()


def test_the_chosen_counties_hold_exactly_the_stations_asked_for():
    load_sample_data("demo-password")
    chosen = choose_counties(10, random.Random(4))
    assert sum(len(stations) for stations in chosen.values()) == 10
    for county, stations in chosen.items():
        assert stations == sorted(stations)
        assert set(Office.objects.filter(code__in=stations).values_list("parent__code", flat=True)) == {county}
    assert choose_counties(10, random.Random(4)) == chosen
    with pytest.raises(ValueError, match="only 64 stations"):
        choose_counties(65, random.Random(4))
