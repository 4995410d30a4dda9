"""The dashboard's figures, as they are kept and read at national size: deadline compliance counted as steps
complete tasks (the same as counting the task rows, for each prefecture, the province and the year, also when
an instance changes county or an office moves in the tree), waits on the heat map summed in the database, and
stations by phase counted per county."""
from datetime import datetime, timedelta

import pytest

from engine import api
from engine.api import clock
from engine.models import HumanTask
from webui.views.dashboard import compliance, completed_live, heat_map, open_work, scoped_instances
from workflows.compliance import completed_counts, recount
from workflows.models import ComplianceCount, Office

from .steps import open_task

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 10, 0, tzinfo=clock.CHINA)  # a Monday


def live(user, codes, year):
    """The dashboard's compliance rows counted from the task rows."""
    instances = scoped_instances(user, codes, year)
    return compliance(open_work(instances, None, clock.now()).steps,
                      completed_live(HumanTask.objects.filter(instance__in=instances)))


def kept(user, codes, year):
    return compliance(open_work(scoped_instances(user, codes, year), None, clock.now()).steps,
                      completed_counts(codes, year))


def stored():
    return sorted(ComplianceCount.objects.exclude(on_time=0, late=0).values_list("id", "year", "province", "prefectures", "province_wide",
                                                      "process", "bpmn_id", "name", "on_time", "late"))


def complete(instance, bpmn_id):
    data = {"background": "新设街道", "budget": "300000.00"} if bpmn_id == "write_plan" else {}
    api.complete_task(open_task(instance, bpmn_id).pk, data)


@pytest.fixture
def year(deploy_bpmn, offices):
    """Plans of 2026 in both prefectures, one of 2025 and one naming no office: written on time, late, not yet."""
    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    plans = {name: api.start("review", name, data).instance for name, data in (
        ("guiyang", {"county": "520102", "year": 2026, "revisions": 0}),
        ("zunyi", {"county": "520302", "year": 2026, "revisions": 0}),
        ("guiyang-open", {"county": "520102", "year": 2026, "revisions": 0}),
        ("last-year", {"county": "520102", "year": 2025, "revisions": 0}),
        ("nobody", {"year": 2026, "revisions": 0}))}
    complete(plans["guiyang"], "write_plan")
    complete(plans["last-year"], "write_plan")
    clock.set_time(START + timedelta(days=10))  # past five working days
    complete(plans["zunyi"], "write_plan")
    complete(plans["nobody"], "write_plan")
    return plans


def test_counts_kept_by_the_steps_are_those_of_the_task_rows(year, offices):
    province, guiyang = offices["gz"], offices["5201"]
    step = ("review", "write_plan", "编写年度计划")
    assert completed_counts(["5201"], 2026) == {step: (1, 1)}  # Guiyang's, and the province-wide one, late
    assert completed_counts(["5203"], 2026) == {step: (0, 2)}
    assert completed_counts(["5201", "5203"], 2026) == {step: (1, 2)}
    assert completed_counts(["5201"], 2025) == {step: (1, 0)}
    assert completed_counts(["5201"], 2027) == {}
    for user, codes in ((province, ["5201", "5203"]), (province, ["5203"]), (guiyang, ["5201"])):
        for year_ in (2025, 2026):
            assert kept(user, codes, year_) == live(user, codes, year_)
    rows = kept(province, ["5201", "5203"], 2026)
    assert [(r["step"], r["on_time"], r["late"], r["open_late"]) for r in rows] == [("write_plan", 1, 2, 1)]
    before = stored()
    assert recount() == len(before)
    assert stored() == before


def test_the_dashboard_shows_the_kept_counts(client, year, offices):
    client.force_login(offices["gz"])
    steps = client.get("/dashboard/?year=2026").context["steps"]
    assert steps == live(offices["gz"], ["5201", "5203"], 2026)
    ComplianceCount.objects.filter(year=2026).update(on_time=7)  # the page reads the counts, not the task rows
    # Three counts: Guiyang's, Zunyi's and the province-wide one.
    assert client.get("/dashboard/?year=2026").context["steps"][0]["on_time"] == 21


@pytest.mark.parametrize("asked", ["abc", "1999", "2101", "99999999999999999999", "-2026", "2026.5"])
def test_a_year_the_filter_would_refuse_shows_the_current_one(client, offices, asked):
    client.force_login(offices["gz"])
    assert client.get(f"/dashboard/?year={asked}").context["year"] == clock.today_in_china().year


def test_an_instance_handed_to_another_county_takes_its_counts_along(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("county_moves.bpmn")
    case = api.start("county_moves", "case-1", {"county": "520102", "new_county": "520302", "year": 2026}).instance
    complete(case, "intake")
    assert completed_counts(["5201"], 2026) == {("county_moves", "intake", "受理"): (1, 0)}
    clock.set_time(START + timedelta(days=10))
    complete(case, "follow_up")  # late; the same step hands the case to Zunyi
    assert completed_counts(["5201"], 2026) == {}
    assert completed_counts(["5203"], 2026) == {("county_moves", "intake", "受理"): (1, 0),
                                                ("county_moves", "follow_up", "回访"): (0, 1)}
    before = stored()
    recount()
    assert stored() == before


def test_counts_follow_a_county_moved_to_another_prefecture(year, offices):
    county = Office.objects.get(code="520102")
    county.parent = Office.objects.get(code="5203")
    county.save()
    step = ("review", "write_plan", "编写年度计划")
    assert completed_counts(["5203"], 2026) == {step: (1, 2)}
    assert completed_counts(["5201"], 2026) == {step: (0, 1)}  # the province-wide plan only
    assert completed_counts(["5203"], 2025) == {step: (1, 0)}


def test_cancelled_tasks_count_nothing(year, offices):
    before = stored()
    api.cancel(year["guiyang-open"].pk, reason="withdrawn")
    assert stored() == before
    assert kept(offices["gz"], ["5201", "5203"], 2026) == live(offices["gz"], ["5201", "5203"], 2026)


def test_the_heat_map_averages_waits_on_tasks_and_timers(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("quick_timer.bpmn")
    waiting = [api.start("quick_timer", f"wait-{n}", {"county": "520102", "year": 2026}).instance for n in range(2)]
    clock.set_time(START + timedelta(hours=12))
    api.start("quick_timer", "wait-late", {"county": "520302", "year": 2026})
    clock.set_time(START + timedelta(days=2))  # the timers are due, and not fired yet
    instances = scoped_instances(offices["gz"], ["5201", "5203"], 2026)
    cells = heat_map(open_work(instances, waiting[0].version, clock.now()).waits, clock.now())
    # Two have waited two days, one a day and a half.
    assert cells["wait"]["count"] == 3 and cells["wait"]["days"] == pytest.approx(1.8, abs=0.05)
    assert cells["wait"]["label"] == "3 件 · 平均 1.8 天"
    waits = open_work(scoped_instances(offices["gz"], ["5203"], 2026), waiting[0].version, clock.now()).waits
    assert heat_map(waits, clock.now()) == {
        "wait": {"count": 1, "days": 1.5, "level": 3, "label": "1 件 · 平均 1.5 天"}}


def test_the_heat_map_counts_message_waits_beside_timers_of_its_version_only(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("award.bpmn")
    deploy_bpmn("quick_timer.bpmn")
    county = [api.start("county_cycle", f"award-{n}", {"county": "520102", "year": 2026}).instance for n in range(2)]
    clock.set_time(START + timedelta(days=1))
    api.start("county_cycle", "award-late", {"county": "520102", "year": 2026})
    api.start("county_cycle", "award-zunyi", {"county": "520302", "year": 2026})  # another prefecture
    api.start("county_cycle", "award-2025", {"county": "520102", "year": 2025})  # another year
    api.start("quick_timer", "timer", {"county": "520102", "year": 2026})  # another process's version
    clock.set_time(START + timedelta(days=3))
    instances = scoped_instances(offices["gz"], ["5201"], 2026)
    # Two have waited three days, one two days; the timer's instance is of another version.
    assert heat_map(open_work(instances, county[0].version, clock.now()).waits, clock.now()) == {
        "wait_award": {"count": 3, "days": 2.7, "level": 3, "label": "3 件 · 平均 2.7 天"}}
    api.cancel(county[0].pk, reason="withdrawn")
    waits = open_work(instances, county[0].version, clock.now()).waits
    assert heat_map(waits, clock.now())["wait_award"]["count"] == 2


def test_open_work_counts_the_open_tasks_as_their_rows_hold_them(deploy_bpmn, year, offices):
    clock.set_time(START)
    deploy_bpmn("quick_timer.bpmn")
    for n in range(3):
        api.start("review", f"late-{n}", {"county": "520302", "year": 2026, "revisions": 0})
    clock.set_time(START + timedelta(days=1))
    api.start("review", "later", {"county": "520102", "year": 2026, "revisions": 0})
    api.start("review", "elsewhere", {"county": "520102", "year": 2025, "revisions": 0})  # another year
    clock.set_time(START + timedelta(days=20))  # the open plans are late by now
    api.start("review", "on-time", {"county": "520102", "year": 2026, "revisions": 0})
    api.start("quick_timer", "timer", {"county": "520102", "year": 2026})  # a task without a due date
    now = clock.now()
    instances = scoped_instances(offices["gz"], ["5201", "5203"], 2026)
    tasks = list(HumanTask.objects.open().filter(instance__in=instances).select_related(
        "instance__version__definition"))
    steps = {}
    for task in tasks:
        if task.due_at is not None:
            key = (task.instance.version.definition.key, task.bpmn_id, task.name)
            counted = steps.setdefault(key, [0, 0])
            counted[0 if task.due_at <= now else 1] += 1
    assert steps == {("review", "write_plan", "编写年度计划"): [5, 1]}  # the earlier plans' too
    work = open_work(instances, None, now)
    assert work.steps == {key: tuple(counts) for key, counts in steps.items()}
    overdue = sorted((t for t in tasks if t.due_at is not None and t.due_at <= now), key=lambda t: (t.due_at, t.pk))
    assert [str(pk).replace("-", "") for pk in work.overdue] == [t.pk.hex for t in overdue]
    assert work.overdue_total == 5 and work.waits == []
    assert open_work(scoped_instances(offices["gz"], ["5203"], 2026), None, now).steps == {
        ("review", "write_plan", "编写年度计划"): (3, 0)}


def test_the_dashboard_lists_the_longest_overdue_first_up_to_its_limit(deploy_bpmn, offices, client, monkeypatch):
    from webui.views import dashboard

    monkeypatch.setattr(dashboard, "OVERDUE_LIMIT", 2)
    deploy_bpmn("review.bpmn")
    for day in range(3):
        clock.set_time(START + timedelta(days=day))
        api.start("review", f"plan-{day}", {"county": "520102", "year": 2026, "revisions": 0})
    clock.set_time(START + timedelta(days=30))
    client.force_login(offices["gz"])
    response = client.get("/dashboard/?year=2026")
    assert [t.business_key for t in response.context["overdue"]] == ["plan-0", "plan-1"]
    assert response.context["overdue_total"] == 3
    assert "列出逾期最久的 2 项，共 3 项" in response.content.decode()


def test_the_dashboard_finds_its_instances_once_for_open_work_and_waits(deploy_bpmn, offices, client):
    """A province's instances are found through a thousand office links: the open tasks and the heat map's
    waits are read in one statement that finds them once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clock.set_time(START)
    deploy_bpmn("award.bpmn")
    for n in range(2):
        api.start("county_cycle", f"award-{n}", {"county": "520102", "year": 2026})
    clock.set_time(START + timedelta(days=2))
    client.force_login(offices["gz"])
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.context["heat"]["wait_award"]["count"] == 2
    reading = [q["sql"] for q in captured.captured_queries
               if "workflows_instanceoffice" in q["sql"] and "engine_messagesubscription" in q["sql"]]
    assert len(reading) == 1 and '"engine_humantask"' in reading[0], "open work and waits in one statement"
    assert reading[0].count('FROM "workflows_instanceoffice"') == 1, "the links walked once"


def test_stations_by_phase_are_counted_per_county(offices):
    from webui.views.dashboard import phases_by_prefecture
    from workflows.planning.models import AnnualPlan, Evaluation, EvaluationState, PlanState, ServiceAgreement
    from workflows.service.models import StationDeployment

    counties = {code: Office.objects.get(code=code) for code in ("520102", "520302")}
    stations = {f"{code}-s{n}": Office.objects.create(code=f"{code}-s{n}", name=f"站{n}", kind="station", parent=county)
                for code, county in counties.items() for n in range(1, 4)}
    extra = Office.objects.create(code="520103", name="云岩区民政局", kind="county_bureau",
                                  parent=Office.objects.get(code="5201"))
    Office.objects.create(code="520103-s1", name="站", kind="station", parent=extra)
    org = Office.objects.get(code="org1")
    AnnualPlan.objects.create(county=counties["520102"], year=2026, state=PlanState.FILED)
    AnnualPlan.objects.create(county=counties["520302"], year=2026, state=PlanState.FILED)
    agreement = ServiceAgreement.objects.create(county=counties["520102"], year=2026, social_org=org, amount=1)
    for code in ("520102-s1", "520102-s2"):
        StationDeployment.objects.create(agreement=agreement, station=stations[code])
    zunyi = ServiceAgreement.objects.create(county=counties["520302"], year=2026, social_org=org, amount=1)
    StationDeployment.objects.create(agreement=zunyi, station=stations["520302-s1"])
    Evaluation.objects.create(county=counties["520302"], year=2026, agreement=zunyi, state=EvaluationState.CONCLUDED)
    AnnualPlan.objects.create(county=counties["520102"], year=2025, state=PlanState.DRAFT)
    phases = phases_by_prefecture(list(Office.objects.filter(code__in=("5201", "5203"))), 2026)
    assert {p: {k: n for k, n in c.items() if n} for p, c in phases.items()} == {
        "5201": {"service": 2, "agreement": 1, "not_started": 1}, "5203": {"evaluated": 3}}
    assert phases_by_prefecture(list(Office.objects.filter(code="5201")), 2025)["5201"] == {
        "not_started": 1, "planning": 3, "procurement": 0, "agreement": 0, "service": 0, "evaluation": 0,
        "evaluated": 0}


@pytest.mark.parametrize("value, year", [(2026, 2026), (2026.0, 2026), (2026.5, None), ("2026", None), (True, None),
                                         (1e300, None), (2**40, None), (None, None), ([2026], None)])
def test_only_a_whole_year_a_column_holds_is_read_from_the_data(value, year):
    from workflows.visibility import year_of

    assert year_of({"year": value}) == year


def test_an_instance_naming_a_year_no_column_holds_still_starts(deploy_bpmn, offices):
    from workflows.models import InstanceOffice

    clock.set_time(START)
    deploy_bpmn("review.bpmn")
    instance = api.start("review", "odd-year", {"county": "520102", "year": 2**40, "revisions": 0}).instance
    assert InstanceOffice.objects.get(instance=instance, key="county").year is None
    assert completed_counts(["5201"], 2**40) == {}
