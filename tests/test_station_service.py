"""The resident service at a station (bpmn/station_service.bpmn) through the engine's API, with the clock moved.

Agreement signed Wednesday 10 December 2025, term 2026-01-01 .. 2026-12-31 (a
year whose holidays are loaded); the organisation org1 serves stations of the
county 520102.
"""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.errors import InvalidInput
from engine.models import AuditEvent, HumanTask, Message, ProcessInstance
from engine.api import dispatch_due_timers
from workflows.models import Office, OfficeKind
from workflows.planning.models import ServiceAgreement
from workflows.service.emergencies import report_emergency
from workflows.service.models import EmergencyResponse, ServiceReport, SocialWorker, StationDeployment

from .steps import china, move_clock_to
from .uploads import uploaded

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SIGNED = datetime(2025, 12, 10, 9, 0, tzinfo=clock.CHINA)
PLACEMENT = {
    "placed_on": "2025-12-12",
    "workers": [{"name": "张敏", "qualification": "social_worker", "certificate_no": "GZ-SW-2019-0031"},
                {"name": "王磊", "qualification": "none"}],
}
REPORT = {"summary": "本月开展入户走访和邻里互助活动，服务搬迁群众。", "people_served": 120}
APPROVE = {"decision": "approve"}
RETURN = {"decision": "return", "comment": "服务人次与活动记录不一致，请核实后重新提交。"}


@pytest.fixture
def service(offices):
    """Diagrams deployed, two stations in county 520102 and the county's agreement with org1."""
    bpmn, forms = read_files([ROOT / "bpmn" / "station_report.bpmn", ROOT / "bpmn" / "station_service.bpmn",
                              ROOT / "bpmn" / "station_emergency.bpmn",
                              ROOT / "tests" / "bpmn" / "county_services_stand_in.bpmn"])
    deploy(bpmn, forms)
    county = Office.objects.get(code="520102")
    for code, name in (("st1", "金元社区社工站"), ("st2", "湾溪社区社工站")):
        Office.objects.create(code=code, name=name, kind=OfficeKind.STATION, parent=county)
    agreement = ServiceAgreement.objects.create(county=county, year=2026, social_org=Office.objects.get(code="org1"),
                                                amount="300000.00", signed_on=SIGNED.date())
    clock.set_time(SIGNED)
    return agreement


def start(agreement, station="st1", term_end="2026-12-31"):
    return api.start("station_service", business_key=f"station-2026-{station}", data={
        "county": "520102", "year": 2026, "station": station, "social_org": "org1", "agreement": agreement.pk,
        "signed_on": "2025-12-10", "term_start": "2026-01-01", "term_end": term_end}).instance


def open_tasks(instance, bpmn_id):
    return list(HumanTask.objects.filter(instance=instance, bpmn_id=bpmn_id, state__in=["open", "claimed"]))


def the_task(instance, bpmn_id):
    [task] = open_tasks(instance, bpmn_id)
    return task


def report_of(instance, task):
    """The report a write/review task of the report process is about."""
    return api.task_form(task).data["report"]


def report_task(instance, bpmn_id, kind, period=""):
    for task in open_tasks(instance, bpmn_id):
        report = report_of(instance, task)
        if (report["kind"], report["period"]) == (kind, period):
            return task
    raise AssertionError(f"no open {bpmn_id} for {kind} {period}")


def deployment(station="st1"):
    return StationDeployment.objects.get(station__code=station)


def placement(task, **changes):
    """The placement form of `task` with the certificates uploaded for it, with `changes` applied."""
    return {**PLACEMENT, "certificates": uploaded(task, "社工证书.pdf"), **changes}


def placed_by(instance, **changes):
    """(task id, form data) of the open placement task of `instance`."""
    task = the_task(instance, "place_workers")
    return task.id, placement(task, **changes)


def hand_in(instance, users, kind, period="", decision=APPROVE):
    task = report_task(instance, "write_report", kind, period)
    api.complete_task(task.id, {**REPORT, "attachments": uploaded(task, "月度报告.pdf")}, actor=users["org1"])
    api.complete_task(report_task(instance, "review_report", kind, period).id, decision, actor=users["520102"])


def place_and_plan(instance, users):
    api.complete_task(*placed_by(instance), actor=users["org1"])
    hand_in(instance, users, "survey")
    hand_in(instance, users, "plan")


# Placing the social workers

def test_placement_on_time_records_the_workers_and_raises_no_escalation(service, offices):
    instance = start(service)
    assert deployment().state == "placing" and deployment().process_instance_id == instance.pk
    task = the_task(instance, "place_workers")
    assert task.office == "org1" and task.form_id == "service_placement"
    # 15 working days after Wednesday 10 December 2025: the end of Wednesday 31 December.
    assert task.due_at == datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)
    move_clock_to(china(2025, 12, 12))
    api.complete_task(task.id, placement(task), actor=offices["org1"])
    move_clock_to(china(2026, 1, 5))
    assert not open_tasks(instance, "urge_placement")
    placed = deployment()
    assert placed.state == "surveying" and str(placed.placed_on) == "2025-12-12"
    assert [(w.name, w.qualification, w.certificate_no) for w in SocialWorker.objects.filter(deployment=placed)] == [
        ("张敏", "social_worker", "GZ-SW-2019-0031"), ("王磊", "none", "")]
    assert AuditEvent.objects.filter(action="stationdeployment.place", instance=instance,
                                     to_state="surveying").count() == 1
    survey = the_task(instance, "write_report")
    assert survey.office == "org1" and report_of(instance, survey)["kind"] == "survey"


def test_late_placement_opens_an_escalation_for_the_county_and_keeps_the_task(service, offices):
    instance = start(service)
    move_clock_to(datetime(2025, 12, 31, 23, 59, tzinfo=clock.CHINA))
    assert not open_tasks(instance, "urge_placement")
    move_clock_to(china(2026, 1, 1, 0) + timedelta(minutes=1))
    urge = the_task(instance, "urge_placement")
    assert urge.office == "520102" and urge.name == "社工到岗逾期督办"
    assert urge.form_id == "service_urge"
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(urge.id, {"urge_method": "phone"}, actor=offices["520102"])
    assert refused.value.errors == {"urge_note": "「督办情况」为必填项"}
    api.complete_task(urge.id, {"urge_method": "phone", "urge_note": "已电话督促机构三日内到岗。"},
                      actor=offices["520102"])
    # The placement itself is still owed, and still recorded when it comes.
    api.complete_task(*placed_by(instance), actor=offices["org1"])
    assert deployment().state == "surveying"


def test_a_placement_without_workers_is_refused_in_chinese(service, offices):
    instance = start(service)
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(*placed_by(instance, workers=[]), actor=offices["org1"])
    assert refused.value.errors == {"workers": "「驻站社工」至少需要填写一行"}
    with pytest.raises(InvalidInput) as refused:
        api.complete_task(*placed_by(instance, workers=[{"name": "张敏", "qualification": "senior"}]),
                          actor=offices["org1"])
    assert refused.value.errors == {"workers[0].certificate_no": "「证书编号」为必填项"}


# A year of service

def test_a_year_of_reports_with_returns_escalations_and_an_emergency(service, offices):
    county_cycle = api.start("county_services_stand_in", data={"county": "520102", "year": 2026}).instance
    instance = start(service)
    move_clock_to(china(2025, 12, 12))
    api.complete_task(*placed_by(instance), actor=offices["org1"])
    hand_in(instance, offices, "survey")
    assert deployment().state == "planning"
    hand_in(instance, offices, "plan", decision=RETURN)
    plan = ServiceReport.objects.get(kind="plan")
    assert plan.state == "returned" and plan.review_comment == RETURN["comment"]
    assert deployment().state == "planning"
    hand_in(instance, offices, "plan")
    assert ServiceReport.objects.get(kind="plan").state == "accepted"
    assert deployment().state == "serving"
    # Nothing is due until January is over.
    assert not open_tasks(instance, "write_report")

    for month in range(1, 13):
        period = f"2026-{month:02d}"
        month_over = china(2026 + month // 12, month % 12 + 1, 1)
        move_clock_to(month_over)
        record = ServiceReport.objects.get(kind="monthly", period=period)
        assert record.state == "pending"
        if month == 4:  # April's report is late: the county is asked to chase it
            move_clock_to(record.due_at + timedelta(minutes=1))
            [urge] = open_tasks(instance, "urge_report")
            assert urge.office == "520102"
            api.complete_task(urge.id, {"urge_method": "written", "urge_note": "已发督办函。"},
                              actor=offices["520102"])
        if month == 6:  # an emergency in the middle of the term
            emergency_in_june(instance, offices)
        hand_in(instance, offices, "monthly", period, decision=RETURN if month == 3 else APPROVE)
        if month == 3:
            assert ServiceReport.objects.get(kind="monthly", period=period).state == "returned"
            hand_in(instance, offices, "monthly", period)
        if month == 6:  # the mid-term report opens after 2 July, the term's middle day
            move_clock_to(china(2026, 7, 3))
            hand_in(instance, offices, "midterm")
        if month == 11:  # the self-evaluation opened with December, due before 10 December
            self_evaluation = report_task(instance, "write_report", "self_evaluation")
            assert self_evaluation.due_at == datetime(2026, 12, 9, 16, 0, tzinfo=timezone.utc)
            hand_in(instance, offices, "self_evaluation")
            assert deployment().state == "serving"
    # After the term: the final report has opened and the service is closing.
    assert deployment().state == "closing"
    assert HumanTask.objects.filter(instance=instance, bpmn_id="urge_report").count() == 1
    hand_in(instance, offices, "final")

    instance = ProcessInstance.objects.get(pk=instance.pk)
    assert instance.state == "completed"
    assert deployment().state == "completed"
    reports = ServiceReport.objects.filter(deployment=deployment())
    assert reports.count() == 2 + 12 + 3 and set(reports.values_list("state", flat=True)) == {"accepted"}
    assert ServiceReport.objects.get(kind="self_evaluation").submitted_at < china(2026, 12, 10, 0)
    states = list(AuditEvent.objects.filter(record_type=StationDeployment._meta.label).order_by("at", "id")
                  .values_list("to_state", flat=True))
    assert states == ["surveying", "planning", "serving", "closing", "completed"]
    # The last (only) station of the agreement tells the county.
    assert instance.data["finished"] == {"last_station": True}
    dispatch_due_timers()
    county_cycle = ProcessInstance.objects.get(pk=county_cycle.pk)
    assert county_cycle.state == "completed"
    assert county_cycle.data["stations_finished"] == {"county": "520102", "year": 2026}
    # A year of reports keeps the stored instance small (12 call activities, no long loop).
    assert len(instance.serialized) < 400_000, len(instance.serialized)


def emergency_in_june(instance, offices):
    emergency = report_emergency("st1", 2026, "natural_disaster", "2026-06-30", "暴雨引发山洪，安置点部分住户受灾。",
                                 actor=offices["org1"])
    record = EmergencyResponse.objects.get()
    assert (record.state, record.kind, str(record.occurred_on)) == ("reported", "natural_disaster", "2026-06-30")
    respond = the_task(emergency, "respond_emergency")
    assert respond.office == "org1"
    response = {"measures": ["counselling", "material_support"], "people_served": 46,
                "response_notes": "驻站社工入户开展心理疏导，协助发放生活物资。"}
    api.complete_task(respond.id, response, actor=offices["org1"])
    assert EmergencyResponse.objects.get().state == "responded"
    api.complete_task(the_task(emergency, "review_emergency").id,
                      {"decision": "return", "comment": "请补充受灾老人的跟进情况。"}, actor=offices["520102"])
    api.complete_task(the_task(emergency, "respond_emergency").id, {**response, "people_served": 52},
                      actor=offices["org1"])
    api.complete_task(the_task(emergency, "review_emergency").id, APPROVE, actor=offices["520102"])
    assert ProcessInstance.objects.get(pk=emergency.pk).state == "completed"
    record = EmergencyResponse.objects.get()
    assert (record.state, record.people_served, record.measures) == ("closed", 52,
                                                                     ["counselling", "material_support"])
    assert list(AuditEvent.objects.filter(record_type=EmergencyResponse._meta.label).order_by("at", "id")
                .values_list("to_state", flat=True)) == ["responded", "responded", "closed"]


def test_an_emergency_response_not_given_by_the_next_day_is_escalated(service, offices):
    start(service)
    move_clock_to(china(2025, 12, 12))
    first = report_emergency("st1", 2026, "public_health", "2025-12-12", "安置点出现聚集性发热病例。")
    assert the_task(first, "respond_emergency").office == "org1"
    move_clock_to(china(2025, 12, 13, 23))
    assert not open_tasks(first, "urge_emergency")
    move_clock_to(china(2025, 12, 14, 0) + timedelta(minutes=1))
    assert the_task(first, "urge_emergency").office == "520102"
    # A second emergency runs beside the first.
    second = report_emergency("st1", 2026, "accident", "2025-12-14", "安置点发生燃气泄漏。")
    assert the_task(second, "respond_emergency").office == "org1"
    assert list(EmergencyResponse.objects.order_by("occurred_on").values_list("kind", "state")) == [
        ("public_health", "reported"), ("accident", "reported")]


def test_an_emergency_report_is_checked_before_it_is_sent(service, offices):
    with pytest.raises(InvalidInput) as refused:
        report_emergency("st1", 2026, "flood", "2026-13-01", " ")
    assert set(refused.value.errors) == {"kind", "occurred_on", "description"}
    assert "自然灾害" in refused.value.errors["kind"]
    with pytest.raises(InvalidInput) as refused:
        report_emergency("st1", 2026, "accident", "2025-12-09", "燃气泄漏")
    assert refused.value.errors == {"station": "社工站 st1 在 2026 年没有进行中的驻站服务"}
    assert not ProcessInstance.objects.exists()


def test_only_the_last_station_of_the_agreement_to_finish_tells_the_county(service, offices):
    county_cycle = api.start("county_services_stand_in", data={"county": "520102", "year": 2026}).instance
    first, second = start(service, "st1", term_end="2026-01-31"), start(service, "st2", term_end="2026-01-31")
    for instance in (first, second):
        place_and_plan(instance, offices)
    move_clock_to(china(2026, 2, 2))
    for instance in (first, second):
        hand_in(instance, offices, "midterm")
        hand_in(instance, offices, "monthly", "2026-01")
        hand_in(instance, offices, "self_evaluation")
    dispatch_due_timers()  # the final reports' opening time has passed: the next tick opens them
    hand_in(first, offices, "final")
    assert deployment("st1").state == "completed" and deployment("st2").state == "closing"
    assert not Message.objects.filter(name="station_services_finished").exists()
    hand_in(second, offices, "final")
    [finished] = Message.objects.filter(name="station_services_finished")
    assert finished.correlation == {"county": "520102", "year": 2026}
    dispatch_due_timers()
    assert ProcessInstance.objects.get(pk=county_cycle.pk).state == "completed"


def cancelled(task):
    """The 督办 task `task` was cancelled by its process, and the audit trail says so."""
    row = HumanTask.objects.get(pk=task.pk)
    return row.state == "cancelled" and AuditEvent.objects.filter(
        action="task.cancel", task_id=task.id, to_state="cancelled").count() == 1


def test_escalations_left_open_are_cancelled_when_the_work_they_chase_is_done(service, offices):
    instance = start(service, term_end="2026-01-31")
    move_clock_to(china(2026, 1, 1, 0) + timedelta(minutes=1))
    placement_urged = the_task(instance, "urge_placement")
    api.complete_task(*placed_by(instance), actor=offices["org1"])
    survey = report_task(instance, "write_report", "survey")
    move_clock_to(survey.due_at + timedelta(minutes=1))
    [survey_urged] = open_tasks(instance, "urge_report")
    hand_in(instance, offices, "survey")
    # The accepted survey ends its report process with its 督办 task; the service goes on.
    assert cancelled(survey_urged)
    assert report_task(instance, "write_report", "plan")
    assert HumanTask.objects.get(pk=placement_urged.pk).state == "open"
    hand_in(instance, offices, "plan")
    move_clock_to(china(2026, 2, 2))
    late = open_tasks(instance, "urge_report")
    assert len(late) == 2  # the mid-term and self-evaluation reports
    for kind, period in (("midterm", ""), ("monthly", "2026-01"), ("self_evaluation", "")):
        hand_in(instance, offices, kind, period)
    dispatch_due_timers()
    hand_in(instance, offices, "final")
    # The service is complete although the county never handled its 督办 tasks.
    assert ProcessInstance.objects.get(pk=instance.pk).state == "completed"
    assert deployment().state == "completed"
    assert all(cancelled(task) for task in [placement_urged, *late])
    assert not HumanTask.objects.filter(instance=instance, state__in=["open", "claimed"]).exists()
    assert not AuditEvent.objects.filter(action="event.unhandled").exists()


def test_an_escalated_emergency_closes_with_its_escalation_cancelled(service, offices):
    start(service)
    move_clock_to(china(2025, 12, 12))
    emergency = report_emergency("st1", 2026, "public_health", "2025-12-12", "安置点出现聚集性发热病例。")
    move_clock_to(china(2025, 12, 14, 0) + timedelta(minutes=1))
    urged = the_task(emergency, "urge_emergency")
    api.complete_task(the_task(emergency, "respond_emergency").id,
                      {"measures": ["counselling"], "people_served": 12, "response_notes": "驻站社工入户开展心理疏导。"},
                      actor=offices["org1"])
    api.complete_task(the_task(emergency, "review_emergency").id, APPROVE, actor=offices["520102"])
    assert ProcessInstance.objects.get(pk=emergency.pk).state == "completed"
    assert EmergencyResponse.objects.get().state == "closed"
    assert cancelled(urged)


def test_a_station_outside_the_agreements_county_fails_clearly(service, offices):
    Office.objects.create(code="st9", name="外县社工站", kind=OfficeKind.STATION,
                          parent=Office.objects.get(code="520302"))
    instance = ProcessInstance.objects.get(pk=start(service, "st9").pk)
    assert instance.state == "failed" and instance.error_element == "open_deployment"
    assert "station st9 is not in county 520102" in instance.error


def test_a_report_sent_back_is_marked_returned_with_the_reason_in_the_organisations_inbox(service, offices, client):
    instance = start(service)
    move_clock_to(china(2025, 12, 12))
    api.complete_task(*placed_by(instance), actor=offices["org1"])
    hand_in(instance, offices, "survey")
    hand_in(instance, offices, "plan", decision=RETURN)
    client.force_login(offices["org1"])
    inbox = client.get("/").content.decode()
    assert f'<span class="badge returned" title="{RETURN["comment"]}">已退回</span>' in inbox
    client.force_login(offices["520102"])  # the county reviewed it: nothing of its own was returned
    assert "badge returned" not in client.get("/?tab=all").content.decode()
