"""The year simulator on small diagrams: review loops, due dates and their escalation, a minimum period,
a message between processes, a timer; forms filled from their schemas; the report."""
import json
import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from django.db import connection

from engine import api
from engine.api import clock
from engine.api.formjs import validate_form
from engine.models import AuditEvent, HumanTask, ProcessInstance
from workflows.sample_data import load_sample_data
from workflows.simulation.actors import Actors, Behaviour
from workflows.simulation.form_filler import FormFiller
from workflows.simulation.report import build_report, render
from workflows.simulation.runner import Simulation, Start

from .conftest import BPMN_DIR

pytestmark = pytest.mark.django_db

BEGIN = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in China
COUNTIES = ["520526", "522632", "520281", "522301"]


@pytest.fixture
def diagrams(deploy_bpmn):
    load_sample_data("pw")
    deploy_bpmn("sim_year.bpmn")


def year(counties, behaviour, seed=7):
    starts = []
    for county in counties:
        starts.append(Start(BEGIN, "sim_plan", f"plan-{county}", {"county": county, "revisions": 0}))
        starts.append(Start(BEGIN + timedelta(days=1), "sim_tender", f"tender-{county}",
                            {"county": county, "issued_on": "2026-03-03"}))
    simulation = Simulation(starts, Actors(random.Random(seed), behaviour), until=BEGIN + timedelta(days=365))
    return build_report(simulation.run())


def test_every_instance_completes_with_deadlines_met_and_missed(diagrams):
    report = year(COUNTIES, Behaviour(late=0.5, plan_returned=0.5, challenge=0.5))
    assert report.ok, render(report)
    assert {key: dict(states) for key, states in report.processes.items()} == {
        "sim_plan": {"completed": 4}, "sim_tender": {"completed": 4}}
    writing = report.step("write_plan")
    assert writing.name == "编制年度计划"
    assert writing.met and writing.missed, "with half the offices late, some plans are late and some not"
    assert writing.open_overdue == writing.open_in_time == 0
    # A late plan opened the prefecture's escalation task, and the prefecture dealt with it.
    escalations = HumanTask.objects.filter(bpmn_id="supervise_writing")
    assert escalations.count() >= 1 and {t.state for t in escalations} == {"completed"}
    assert set(escalations.values_list("office", flat=True)) <= {"5205", "5226", "5202", "5223"}
    # Some plans went back to the county once before being approved.
    revisions = [i.data["revisions"] for i in ProcessInstance.objects.filter(version__definition__key="sim_plan")]
    assert max(revisions) == 2 and min(revisions) == 1
    text = render(report)
    assert "编制年度计划" in text and "审核年度计划" in text and "result: ok" in text


def test_offices_act_as_themselves_within_the_minimum_period_and_message_and_timer_follow(diagrams):
    report = year(COUNTIES[:2], Behaviour(late=0.0, plan_returned=0.0, delegated=0.0, absent=0.0))
    assert report.ok, render(report)
    opened = HumanTask.objects.filter(bpmn_id="open_bids")
    assert opened.count() == 2, "one tender per county"
    # Not before 20 days after the tender documents went out (3 March): 23 March, China time.
    earliest = datetime(2026, 3, 23, tzinfo=clock.CHINA)
    assert all(t.completed_at >= earliest and t.completed_by == "gz-civil-affairs" for t in opened)
    written = HumanTask.objects.filter(bpmn_id="write_plan")
    assert written.count() == 2, "no plan went back, so one plan written per county"
    for task in written:
        assert task.completed_by == task.office == task.instance.data["county"]
        assert task.completed_at <= task.due_at
    plan = ProcessInstance.objects.get(business_key="plan-520526")
    assert plan.data["award"]["county"] == "520526"
    award_delivered = AuditEvent.objects.get(instance=plan, action="message.delivered").at
    assert plan.ended_at - award_delivered >= timedelta(days=10), "the ten-day timer ran on the simulated clock"
    assert plan.ended_at < BEGIN + timedelta(days=365)


def test_an_office_without_an_account_is_reported(diagrams):
    report = year(["999999"], Behaviour())
    assert not report.ok
    assert any("no account works in office '999999'" in message for _, _, message in report.errors)
    assert "PROBLEMS" in render(report)


@pytest.mark.parametrize("form", ["sim_plan.form", "plan.form", "review.form"])
def test_filled_forms_pass_the_server_validation(form, db):
    schema = json.loads((BPMN_DIR / "forms" / form).read_text())
    has_budget = any(component.get("key") == "budget" for component in schema["components"])
    for seed in range(20):
        data = FormFiller(random.Random(seed), date(2026, 3, 2)).fill(schema, {"county": "520526"})
        cleaned, errors = validate_form(schema, data, context={"county": "520526"})
        assert not errors, (seed, data)
        assert "county" not in data, "read-only fields keep the task's value"
        assert ("budget" in cleaned) == has_budget, (seed, cleaned)
        if "budget" in cleaned:
            assert cleaned["budget"].as_tuple().exponent == -2, (seed, cleaned["budget"])


def test_delegated_and_substituted_tasks_are_played_and_counted(diagrams):
    report = year(COUNTIES[:2], Behaviour(late=0.0, plan_returned=0.0, challenge=0.0, delegated=0.4, absent=0.4),
                  seed=1)
    assert report.ok, render(report)
    work = report.office_work
    assert work.delegated_met and work.substituted_met, render(report)
    assert work.delegated_missed == work.substituted_missed == 0, "nobody was late"
    delegated = AuditEvent.objects.filter(action="task.delegate").values_list("task_id", flat=True)
    resolved = AuditEvent.objects.filter(action="task.resolve").values_list("task_id", flat=True)
    assert set(delegated) == set(resolved), "every delegated task came back"
    on_behalf = AuditEvent.objects.filter(action="task.complete", data__has_key="on_behalf_of")
    assert on_behalf.count() >= work.substituted_met, "and those without a deadline"
    assert "delegated to a colleague and confirmed  met" in render(report)


def test_the_report_finds_the_runs_instances_by_query_not_by_listing_them(diagrams):
    """A national year starts about 100,000 instances: more than one statement may list (PostgreSQL takes
    65,535 parameters), and more than the report could hold in memory with their state."""
    starts = [Start(BEGIN, "sim_plan", f"plan-{county}", {"county": county, "revisions": 0}) for county in COUNTIES]
    behaviour = Behaviour(late=0.5, delegated=0.4, absent=0.4)
    outcome = Simulation(starts, Actors(random.Random(3), behaviour), until=BEGIN + timedelta(days=365)).run()
    started = {pk.hex for pk in outcome.instances.values_list("pk", flat=True)}
    assert len(started) == 4
    # Nor its tasks: a national year delegates or hands to substitutes about 150,000 of them.
    started |= {pk.hex for pk in HumanTask.objects.filter(instance__in=outcome.instances).values_list("pk", flat=True)}
    sent = []

    def record(execute, sql, params, many, context):
        sent.extend(p.hex if isinstance(p, uuid.UUID) else p for p in params or ())  # SQLite's are hex already
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        report = build_report(outcome)
    assert report.ok and sum(report.processes["sim_plan"].values()) == 4, render(report)
    writing = report.step("write_plan")
    assert writing.met + writing.missed == HumanTask.objects.filter(bpmn_id="write_plan", state="completed").count()
    work = report.office_work
    assert work.delegated_met + work.delegated_missed and work.substituted_met + work.substituted_missed
    assert not started & set(sent), "the report listed instance or task ids in its statements"


def test_a_run_tells_the_instances_there_before_it_by_query_and_leaves_them_alone(diagrams):
    """A year simulated again (--reset-year) finds the run before's instances, cancelled, from the same moment on:
    a national year's 100,000 of them, more than a statement may list. Nor does it play those still open."""
    def plans(counties):
        return [Start(BEGIN, "sim_plan", f"plan-{county}", {"county": county, "revisions": 0}) for county in counties]

    actors = Actors(random.Random(5), Behaviour(late=0.0))
    earlier = Simulation(plans(COUNTIES[:2]), actors, until=BEGIN + timedelta(hours=1)).run()
    cancelled, running = earlier.instances.filter(state="running").order_by("business_key")
    api.cancel(cancelled.pk, actor=None, reason="simulated again")
    acted = AuditEvent.objects.filter(instance=running, action__in=("task.claim", "task.complete"))
    acted_before = acted.count()
    sent = []

    def record(execute, sql, params, many, context):
        sent.extend(p.hex if isinstance(p, uuid.UUID) else p for p in params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        later = Simulation(plans(COUNTIES[2:]), actors, until=BEGIN + timedelta(days=365)).run()
        report = build_report(later)
    assert {i.business_key for i in later.instances} == {f"plan-{county}" for county in COUNTIES[2:]}
    assert report.ok and sum(report.processes["sim_plan"].values()) == 2, render(report)
    assert cancelled.pk.hex not in sent, "the run listed an instance there before it"
    assert acted.count() == acted_before, "the later run played the earlier run's tasks"
