"""The county annual cycle (bpmn/county_annual_cycle.bpmn) through the engine's API with the real diagram."""
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import api
from engine.api import calendar, clock
from engine.api.calendar import load_year_from_notice
from engine.errors import InvalidInput, PermissionDenied
from engine.models import AuditEvent, HumanTask, Message, ProcessInstance, Timer
from workflows.models import Membership, Office
from workflows.planning.launch import start_year
from workflows.planning.models import AnnualPlan, ServiceAgreement
from workflows.service.models import StationDeployment

from .county_cycle_steps import (  # noqa: F401 - fixtures
    GUIYANG_COUNTY, MONDAY, PLAN, PRODUCT_BPMN, YEAR, ZUNYI_COUNTY, award, complete, county_offices, in_service,
    lifecycle, open_tasks, plan_filed, publish_and_file, send, sign, start_cycle,
)
from .steps import command_output, move_clock_to, reload

pytestmark = pytest.mark.django_db


def test_the_diagrams_validate():
    out = command_output("bpmn", "validate", str(PRODUCT_BPMN / "county_annual_cycle.bpmn"),
                         str(PRODUCT_BPMN / "performance_evaluation.bpmn"))
    assert "valid: county_annual_cycle, performance_evaluation" in out


def test_the_cycle_starts_itself_on_the_first_working_day_of_january_once_per_county(lifecycle, county_offices):
    notice = (PRODUCT_BPMN / "calendar" / "2027.example.json").read_text(encoding="utf-8")
    load_year_from_notice(json.loads(notice), actor="calendar-admin")
    by_hand = start_cycle(ZUNYI_COUNTY, 2027, ["520302-s1"])  # started early with manage.py startyear
    move_clock_to(datetime(2027, 1, 1, 9, 30, tzinfo=clock.CHINA))  # New Year's Day: not yet
    assert not ProcessInstance.objects.filter(business_key=f"county-2027-{GUIYANG_COUNTY}").exists()
    move_clock_to(datetime(2027, 1, 4, 9, 1, tzinfo=clock.CHINA))  # Monday, the first working day
    cycles = ProcessInstance.objects.filter(version__definition__key="county_annual_cycle", data__year=2027)
    assert sorted(cycles.values_list("business_key", flat=True)) == [
        f"county-2027-{GUIYANG_COUNTY}", f"county-2027-{ZUNYI_COUNTY}"], "the county started by hand is not again"
    started = cycles.get(business_key=f"county-2027-{GUIYANG_COUNTY}")
    assert started.started_by == "system" and started.data["stations"] == ["520102-s1", "520102-s2"]
    assert started.state == "running", started.error
    assert "write_plan" in open_tasks(started) and open_tasks(by_hand)
    move_clock_to(datetime(2027, 1, 5, 9, tzinfo=clock.CHINA))
    assert cycles.count() == 2


def test_plan_is_written_returned_revised_and_filed(lifecycle, county_offices):
    users = county_offices
    instance = start_cycle()
    plan = AnnualPlan.objects.get(county__code=GUIYANG_COUNTY, year=YEAR)
    assert plan.state == "draft" and plan.station_count == 2 and plan.process_instance_id == instance.pk
    write = open_tasks(instance)["write_plan"]
    assert write.office == GUIYANG_COUNTY and write.form_id == "annual_plan"
    assert write.due_at == calendar.add_workdays(MONDAY, 20).at  # 2 February 2026, 24:00
    assert reload(instance).data["previous_evaluation"] is None

    with pytest.raises(InvalidInput) as refused:
        complete(instance, "write_plan", users[GUIYANG_COUNTY], {**PLAN, "budget_lines": [{"item": "薪酬"}]})
    assert "budget_lines[0].amount" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        complete(instance, "write_plan", users[GUIYANG_COUNTY], {**PLAN, "budget_lines": []})
    assert refused.value.errors == {"budget_lines": "「预算明细」至少需要填写一行"}
    complete(instance, "write_plan", users[GUIYANG_COUNTY], PLAN)
    plan.refresh_from_db()
    assert plan.state == "submitted" and plan.budget == Decimal("300000.00")
    assert plan.budget_lines[0] == {"item": "驻站社工薪酬", "category": "personnel", "amount": "240000.00"}
    review = open_tasks(instance)["review_plan"]
    assert review.office == "5201", "the county's own prefecture reviews"
    assert review.due_at == calendar.add_workdays(MONDAY, 10).at

    with pytest.raises(InvalidInput) as refused:
        complete(instance, "review_plan", users["5201"], {"decision": "return"})
    assert refused.value.errors == {"comment": "「退回理由」为必填项"}
    move_clock_to(MONDAY + timedelta(days=1))
    complete(instance, "review_plan", users["5201"], {"decision": "return", "comment": "预算明细需细化到每站"})
    plan.refresh_from_db()
    assert plan.state == "returned" and plan.returns == 1 and plan.review_comment == "预算明细需细化到每站"
    returned = AuditEvent.objects.get(action="annualplan.return_for_revision", record_id=str(plan.pk))
    assert returned.data == {"comment": "预算明细需细化到每站"}, "the history says why"
    rewrite = open_tasks(instance)["write_plan"]
    assert rewrite.id != write.id
    assert rewrite.due_at == calendar.add_workdays(MONDAY + timedelta(days=1), 10).at, "10 working days to revise"

    revised_lines = [*PLAN["budget_lines"], {"item": "督导培训", "category": "training", "amount": "20000.00"}]
    complete(instance, "write_plan", users[GUIYANG_COUNTY], {**PLAN, "budget": "320000.00", "budget_lines": revised_lines})
    complete(instance, "review_plan", users["5201"], {"decision": "approve"})
    filing = open_tasks(instance)["file_plan"]
    assert filing.office == "gz"
    with pytest.raises(InvalidInput):
        complete(instance, "file_plan", users["gz"], {"decision": "approve"})  # the filing number is required
    complete(instance, "file_plan", users["gz"], {"decision": "approve", "filing_number": "黔民备〔2026〕3号"})
    plan.refresh_from_db()
    assert plan.state == "filed" and plan.budget == Decimal("320000.00") and plan.filing_number == "黔民备〔2026〕3号"
    instance = reload(instance)
    assert instance.state == "waiting" and instance.current_elements == ["wait_award"]
    states = list(AuditEvent.objects.filter(record_type="planning.AnnualPlan", record_id=str(plan.pk))
                  .order_by("at", "id").values_list("to_state", flat=True))
    assert states == ["submitted", "returned", "submitted", "filed"]
    assert AuditEvent.objects.filter(record_type="planning.AnnualPlan", instance=instance).count() == 4


def test_province_can_return_the_plan_too(lifecycle, county_offices):
    users = county_offices
    instance = start_cycle()
    complete(instance, "write_plan", users[GUIYANG_COUNTY], PLAN)
    complete(instance, "review_plan", users["5201"], {"decision": "approve"})
    complete(instance, "file_plan", users["gz"], {"decision": "return", "comment": "绩效评价安排不具体"})
    assert AnnualPlan.objects.get(year=YEAR).state == "returned"
    assert set(open_tasks(instance)) == {"write_plan"}


def test_award_is_correlated_on_county_and_year(lifecycle, county_offices, django_capture_on_commit_callbacks):
    users = county_offices
    instance = start_cycle()
    plan_filed(instance, users)
    award(django_capture_on_commit_callbacks, year=YEAR - 1)
    award(django_capture_on_commit_callbacks, county=ZUNYI_COUNTY)
    assert reload(instance).current_elements == ["wait_award"]
    assert Message.objects.filter(state="pending").count() == 2
    award(django_capture_on_commit_callbacks, social_org="org1", amount="298000.00", award_notice_on="2026-03-02")
    instance = reload(instance)
    agreement = ServiceAgreement.objects.get(county__code=GUIYANG_COUNTY, year=YEAR)
    assert agreement.state == "awaiting_signature" and agreement.social_org.code == "org1"
    assert agreement.amount == Decimal("298000.00") and agreement.award_notice_on.isoformat() == "2026-03-02"
    assert instance.data["social_org"] == "org1" and instance.data["agreement"] == agreement.pk
    signing = open_tasks(instance)["sign_agreement"]
    assert signing.office == GUIYANG_COUNTY
    # 30 days after 2 March is 1 April, a Wednesday.
    assert signing.due_at == calendar.end_of_day("2026-04-01").at
    assert Timer.objects.get(instance=instance, bpmn_id="signing_overdue").due_at == signing.due_at
    assert Message.objects.filter(state="pending").count() == 2, "the other county's and year's awards wait"


def test_a_challenge_suspends_signing_until_it_is_answered(lifecycle, county_offices,
                                                            django_capture_on_commit_callbacks):
    users = county_offices
    instance = start_cycle()
    plan_filed(instance, users)
    award(django_capture_on_commit_callbacks)
    first_signing = open_tasks(instance)["sign_agreement"]
    send(django_capture_on_commit_callbacks, "signing_suspended", reason="第二名供应商提出质疑")
    instance = reload(instance)
    agreement = ServiceAgreement.objects.get(year=YEAR)
    assert agreement.state == "suspended" and agreement.suspension_reason == "第二名供应商提出质疑"
    assert HumanTask.objects.get(pk=first_signing.pk).state == "cancelled"
    assert open_tasks(instance) == {} and instance.current_elements == ["wait_resumption"]
    assert not Timer.objects.filter(instance=instance, bpmn_id="signing_overdue").exists()

    # The answer changed the result: another organisation, a new award notice.
    award(django_capture_on_commit_callbacks, name="signing_resumed", social_org="org2", amount="295000.00",
          award_notice_on="2026-03-20")
    agreement.refresh_from_db()
    assert agreement.state == "awaiting_signature" and agreement.social_org.code == "org2"
    assert agreement.amount == Decimal("295000.00")
    instance = reload(instance)
    assert instance.data["social_org"] == "org2"
    signing = open_tasks(instance)["sign_agreement"]
    assert signing.due_at == calendar.add_days("2026-03-20", 30).at  # 19 April is a Sunday: Monday 20 April
    assert signing.due_at == calendar.end_of_day("2026-04-20").at
    sign(instance, users)
    agreement.refresh_from_db()
    assert agreement.state == "signed" and agreement.signed_on.isoformat() == "2026-03-10"
    transitions = list(AuditEvent.objects.filter(record_type="planning.ServiceAgreement")
                       .order_by("at", "id").values_list("action", flat=True))
    assert transitions == ["serviceagreement.suspend", "serviceagreement.resume", "serviceagreement.sign"]


def test_a_challenge_sent_with_the_award_suspends_signing_at_once(lifecycle, county_offices,
                                                                 django_capture_on_commit_callbacks):
    instance = start_cycle()
    plan_filed(instance, county_offices)
    with django_capture_on_commit_callbacks(execute=True):
        api.send_message("procurement_award", {"county": GUIYANG_COUNTY, "year": YEAR},
                         {"social_org": "org1", "amount": "298000.00", "award_notice_on": "2026-03-02", "lot": None})
        api.send_message("signing_suspended", {"county": GUIYANG_COUNTY, "year": YEAR}, {"reason": "质疑"})
    assert ServiceAgreement.objects.get(year=YEAR).state == "suspended"
    assert reload(instance).current_elements == ["wait_resumption"]
    assert not Message.objects.filter(state="pending").exists()


def test_overdue_plan_escalates_to_the_countys_own_prefecture(lifecycle, county_offices):
    guiyang = start_cycle()
    zunyi = start_cycle(ZUNYI_COUNTY, stations=["520302-s1"])
    due = open_tasks(guiyang)["write_plan"].due_at
    assert move_clock_to(due - timedelta(minutes=1))["instances"] == 0
    assert "supervise_plan_writing" not in open_tasks(guiyang)
    move_clock_to(due + timedelta(seconds=1))
    for instance, prefecture in ((guiyang, "5201"), (zunyi, "5203")):
        tasks = open_tasks(instance)
        assert tasks["supervise_plan_writing"].office == prefecture
        assert "write_plan" in tasks, "the county still has to write its plan"
    escalations = HumanTask.objects.filter(bpmn_id="supervise_plan_writing")
    assert sorted(escalations.values_list("office", flat=True)) == ["5201", "5203"]
    with pytest.raises(PermissionDenied, match="属于单位 5203"):
        complete(zunyi, "supervise_plan_writing", county_offices["5201"], {"supervision_measures": "电话督促"})
    complete(zunyi, "supervise_plan_writing", county_offices["5203"], {"supervision_measures": "电话督促"})
    assert "supervise_plan_writing" not in open_tasks(zunyi)


def test_overdue_review_escalates_to_the_province(lifecycle, county_offices):
    instance = start_cycle()
    complete(instance, "write_plan", county_offices[GUIYANG_COUNTY], PLAN)
    due = open_tasks(instance)["review_plan"].due_at
    move_clock_to(due + timedelta(seconds=1))
    assert open_tasks(instance)["supervise_plan_review"].office == "gz"


def test_signing_publication_and_filing_deadlines(lifecycle, county_offices, django_capture_on_commit_callbacks):
    users = county_offices
    instance = start_cycle()
    plan_filed(instance, users)
    award(django_capture_on_commit_callbacks, award_notice_on="2026-03-02")
    move_clock_to(calendar.end_of_day("2026-04-01").at + timedelta(seconds=1))
    assert open_tasks(instance)["supervise_signing"].office == "5201"
    sign(instance, users, signed_on="2026-04-02")  # a Thursday; Friday 3 April is a working day, then 清明 4-6 April
    tasks = open_tasks(instance)
    assert tasks["publish_agreement"].due_at == calendar.end_of_day("2026-04-07").at
    move_clock_to(calendar.end_of_day("2026-04-07").at + timedelta(seconds=1))
    assert open_tasks(instance)["supervise_publication"].office == "5201"
    complete(instance, "publish_agreement", users[GUIYANG_COUNTY],
             {"published_on": "2026-04-08", "publication": "中国贵州政府采购网"})
    filing = open_tasks(instance)["file_agreement"]
    assert filing.due_at == calendar.add_workdays("2026-04-02", 7).at
    move_clock_to(filing.due_at + timedelta(seconds=1))
    assert open_tasks(instance)["supervise_agreement_filing"].office == "5201"
    assert ServiceAgreement.objects.get(year=YEAR).state == "published"


def test_the_cycle_ends_with_its_open_escalations_cancelled(lifecycle, county_offices,
                                                           django_capture_on_commit_callbacks):
    users = county_offices
    instance = start_cycle()
    move_clock_to(open_tasks(instance)["write_plan"].due_at + timedelta(seconds=1))
    plan_writing = open_tasks(instance)["supervise_plan_writing"]
    plan_filed(instance, users)
    award(django_capture_on_commit_callbacks, award_notice_on="2026-03-02")
    move_clock_to(calendar.end_of_day("2026-04-01").at + timedelta(seconds=1))
    signing = open_tasks(instance)["supervise_signing"]
    sign(instance, users, signed_on="2026-04-02")
    publish_and_file(instance, users)
    send(django_capture_on_commit_callbacks, "station_services_finished")
    assert set(open_tasks(instance)) == {"supervise_plan_writing", "supervise_signing", "county_supervision",
                                         "prefecture_supervision"}
    complete(instance, "county_supervision", users[GUIYANG_COUNTY], {"county_findings": "台账齐全。"})
    complete(instance, "prefecture_supervision", users["5201"], {"prefecture_findings": "覆盖达标。"})
    complete(instance, "evaluate_performance", users["gz"], {"score": "88", "evaluation_summary": "服务规范。"})
    # The evaluation was the cycle's last work: the prefecture's unhandled 督办 tasks do not keep it open.
    assert reload(instance).state == "completed"
    for escalation in (plan_writing, signing):
        assert HumanTask.objects.get(pk=escalation.pk).state == "cancelled"
        assert AuditEvent.objects.filter(instance=instance, task_id=escalation.id, action="task.cancel").count() == 1
    # The station services are instances of their own: the cycle's end leaves them alone.
    assert set(ProcessInstance.objects.filter(parent=instance).values_list("state", flat=True)) == {"running"}


def test_filed_agreement_starts_one_station_service_per_station(lifecycle, county_offices,
                                                                  django_capture_on_commit_callbacks):
    users = county_offices
    instance = in_service(users, django_capture_on_commit_callbacks)
    agreement = ServiceAgreement.objects.get(year=YEAR)
    assert agreement.state == "in_service" and agreement.filing_number == "财备-2026-08"
    deployments = StationDeployment.objects.filter(agreement=agreement).order_by("station__code")
    assert [d.station.code for d in deployments] == ["520102-s1", "520102-s2"]
    children = ProcessInstance.objects.filter(parent=instance).order_by("business_key")
    assert [c.business_key for c in children] == ["station-2026-520102-s1", "station-2026-520102-s2"]
    assert [d.process_instance_id for d in deployments] == [c.pk for c in children]
    assert {k: children[0].data[k] for k in ("county", "year", "station", "social_org", "agreement", "signed_on",
                                              "term_start", "term_end")} == {
        "county": GUIYANG_COUNTY, "year": YEAR, "station": "520102-s1", "social_org": "org1",
        "agreement": agreement.pk, "signed_on": "2026-03-10", "term_start": "2026-04-01", "term_end": "2027-03-31"}
    assert HumanTask.objects.filter(instance__in=children, state="open").count() == 2
    assert reload(instance).current_elements == ["wait_services_finished"]

    send(django_capture_on_commit_callbacks, "station_services_finished", county=ZUNYI_COUNTY)
    assert reload(instance).current_elements == ["wait_services_finished"]
    send(django_capture_on_commit_callbacks, "station_services_finished")
    agreement.refresh_from_db()
    assert agreement.state == "completed"
    tasks = open_tasks(instance)
    assert tasks["county_supervision"].office == GUIYANG_COUNTY
    assert tasks["prefecture_supervision"].office == "5201"


def test_start_year_starts_a_cycle_per_county_with_stations_once(lifecycle, county_offices):
    started = start_year(YEAR, actor="system")
    assert sorted(i.business_key for i in started) == ["county-2026-520102", "county-2026-520302"]
    guiyang = next(i for i in started if i.business_key.endswith(GUIYANG_COUNTY))
    assert reload(guiyang).data["stations"] == ["520102-s1", "520102-s2"]
    assert start_year(YEAR) == []
    assert "2 county cycle(s) started for 2027" in command_output("startyear", str(YEAR + 1))
    assert "0 county cycle(s) started for 2026" in command_output("startyear")  # the current year's, done
    clock.set_time(datetime(2028, 3, 1, 9, tzinfo=clock.CHINA))  # no timer fired: started by hand
    assert "2 county cycle(s) started for 2028" in command_output("startyear")
    with pytest.raises(ValueError, match="four-digit year"):
        start_year(26)


def test_an_instance_page_links_the_cycle_and_its_station_services_each_sees(
        lifecycle, county_offices, django_capture_on_commit_callbacks, client, django_user_model):
    users = county_offices
    instance = in_service(users, django_capture_on_commit_callbacks)
    children = list(ProcessInstance.objects.filter(parent=instance).order_by("business_key"))
    client.force_login(users[GUIYANG_COUNTY])
    page = client.get(f"/instances/{instance.pk}/").content.decode()
    assert all(f"/instances/{child.pk}/" in page for child in children) and "下级流程" in page
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/instances/{children[0].pk}/").content.decode()
    assert f"/instances/{instance.pk}/" in page and "上级流程" in page
    # The offices its tasks and its data name (county, station, organisation), looked up at once if at all.
    lookups = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith('SELECT "workflows_office"."code" AS "code", "workflows_office"."name"')]
    assert len(lookups) <= 1, lookups
    assert "花果园社工站" in page and "贵州阳光社会工作服务中心" in page
    assert f"/instances/{children[1].pk}/" not in page  # a sibling is not its child
    # A station's own account sees its service, not the county's cycle: the page does not link what it hides.
    station = django_user_model.objects.create_user("station-s1")
    Membership.objects.create(user=station, office=Office.objects.get(code="520102-s1"))
    client.force_login(station)
    page = client.get(f"/instances/{children[0].pk}/").content.decode()
    assert "上级流程" not in page and f"/instances/{instance.pk}/" not in page
    assert client.get(f"/instances/{instance.pk}/").status_code == 404
    # Another county's bureau sees neither, and is told of neither.
    client.force_login(users[ZUNYI_COUNTY])
    assert client.get(f"/instances/{children[0].pk}/").status_code == 404
    assert client.get(f"/instances/{instance.pk}/").status_code == 404
