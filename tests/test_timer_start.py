"""Timer start events start their process at each occurrence, once, on a working day when asked, with the
data the diagram says; missed occurrences start when the dispatcher runs again."""
from pathlib import Path

from engine import api
from engine.api import clock
from engine.models import AuditEvent, ProcessInstance, ScheduledStart

from .steps import china, move_clock_to, open_task


def deploy(deploy_bpmn, text=None):
    clock.set_time(china(2025, 12, 1))
    if text is None:
        return deploy_bpmn("timer_start.bpmn")
    return api.deploy({"timer_start.bpmn": text})


def cycles():
    return sorted(ProcessInstance.objects.filter(version__definition__key="yearly_cycle")
                  .values_list("business_key", flat=True))


def test_the_yearly_cycle_starts_each_county_on_the_first_working_day_once(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    move_clock_to(china(2026, 1, 3, 12))  # 1–3 January are the New Year holiday
    assert cycles() == []
    move_clock_to(china(2026, 1, 4, 9, 1))  # Sunday 4 January, a make-up working day
    assert cycles() == ["cycle-2026-520102", "cycle-2026-520302"]
    instance = ProcessInstance.objects.get(business_key="cycle-2026-520102")
    assert instance.data["year"] == 2026 and open_task(instance, "y_plan").office == "520102"
    [occurrence] = ScheduledStart.objects.filter(definition_key="yearly_cycle")
    assert occurrence.occurrence_at == china(2026, 1, 4, 9) and occurrence.instances == 2
    move_clock_to(china(2026, 1, 4, 10))
    assert len(cycles()) == 2, "never twice"


def test_occurrences_missed_while_nothing_ran_start_once_each_when_it_runs_again(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    move_clock_to(china(2028, 2, 1))
    assert cycles() == [f"cycle-{year}-{county}" for year in (2026, 2027, 2028) for county in ("520102", "520302")]
    # 2028 has no holiday notice here: 1 January is a Saturday, so the first working day is Monday 3 January.
    assert list(ScheduledStart.objects.filter(definition_key="yearly_cycle").values_list("occurrence_at", flat=True)) \
        == [china(2026, 1, 4, 9), china(2027, 1, 1, 9), china(2028, 1, 3, 9)]
    move_clock_to(china(2028, 2, 2))
    assert len(cycles()) == 6


def test_an_occurrence_another_dispatcher_claimed_is_left_to_it(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    ScheduledStart.objects.create(definition_key="once", element="once_start", occurrence_at=china(2026, 3, 2, 9))
    move_clock_to(china(2026, 3, 2, 10))
    assert not ProcessInstance.objects.filter(version__definition__key="once").exists()


def test_a_one_off_moment_starts_once_and_a_start_by_hand_starts_at_once(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    by_hand = api.start("once", "by-hand").instance
    assert by_hand.state == "completed" and by_hand.data["noted"] is True, "it does not wait for its moment"
    move_clock_to(china(2026, 3, 2, 9, 30))
    move_clock_to(china(2026, 3, 3, 9, 30))
    scheduled = ProcessInstance.objects.filter(version__definition__key="once").exclude(pk=by_hand.pk)
    assert [i.state for i in scheduled] == ["completed"] and scheduled[0].started_by == "system"


def test_a_cycle_started_by_hand_before_its_first_moment_starts_at_once(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    clock.set_time(china(2025, 12, 2))  # the cycle's first moment, 1 January 2026, is still ahead
    instance = api.start("yearly_cycle", "by-hand", {"county": "520102", "year": 2026}).instance
    assert instance.state == "running" and open_task(instance, "y_plan").office == "520102"


def test_start_data_that_fails_is_recorded_and_not_tried_again(deploy_bpmn, offices):
    source = (Path(__file__).parent / "bpmn" / "timer_start.bpmn").read_text(encoding="utf-8")
    deploy(deploy_bpmn, source.replace('for county in ("520102", "520302")', "for county in counties"))
    move_clock_to(china(2026, 1, 5))
    [occurrence] = ScheduledStart.objects.filter(definition_key="yearly_cycle")
    assert occurrence.instances == 0 and "counties" in occurrence.error
    assert AuditEvent.objects.filter(action="schedule.failed").count() == 1
    move_clock_to(china(2026, 1, 6))
    assert cycles() == [] and AuditEvent.objects.filter(action="schedule.failed").count() == 1


def test_skipped_occurrences_start_nothing_and_say_who_skipped_them(deploy_bpmn, offices):
    deploy(deploy_bpmn)
    skipped = api.skip_scheduled("yearly_cycle", china(2027, 6, 1), actor="operator", reason="由旧系统启动")
    assert [(s.occurrence_at, s.skipped_by, s.instances) for s in skipped] == [
        (china(2026, 1, 4, 9), "operator", 0), (china(2027, 1, 1, 9), "operator", 0)]
    assert AuditEvent.objects.filter(action="schedule.skipped").count() == 2
    move_clock_to(china(2027, 6, 2))
    assert cycles() == []
    move_clock_to(china(2028, 1, 3, 10))
    assert cycles() == ["cycle-2028-520102", "cycle-2028-520302"], "later occurrences start as before"


def test_a_cycle_started_years_after_its_first_moment_runs_its_flow_once(deploy_bpmn, offices):
    """SpiffWorkflow gives a cycle's start event one branch for each occurrence past; a new instance takes one."""
    deploy(deploy_bpmn)
    for moment in (china(2028, 6, 1, 10), china(2029, 1, 1, 9)):  # two and three occurrences past, one exactly now
        clock.set_time(moment)
        instance = api.start("yearly_cycle", f"by-hand-{moment.year}", {"county": "520102", "year": moment.year})
        tasks = instance.instance.tasks.filter(bpmn_id="y_plan")
        assert instance.instance.state == "running" and tasks.count() == 1, moment
    move_clock_to(china(2029, 2, 1))
    assert all(i.tasks.filter(bpmn_id="y_plan").count() == 1 for i in ProcessInstance.objects.filter(
        version__definition__key="yearly_cycle")), "the schedule's starts too"
