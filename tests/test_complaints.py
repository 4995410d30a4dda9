"""Complaints (投诉) to the finance department about a challenge, each in its own procurement_complaint instance:
the 15-working-day window after the answer period, the 30-working-day decision and its 督办, the suspension of the
lot's signing and its 30-day limit, and an award set aside and tendered again through the finance guidance."""
from datetime import timedelta

import pytest

from engine.api import calendar, clock, dispatch_due_timers
from engine.errors import InvalidInput
from engine.models import AuditEvent, HumanTask
from workflows.procurement.challenges import file_challenge
from workflows.procurement.complaints import file_complaint
from workflows.procurement.launch import start_procurement
from workflows.procurement.models import Complaint, LotState, ProcurementProject, ProjectState
from workflows.visibility import can_see_instance, tasks_visible_to

from .steps import move_clock_to, open_task, reload
from .test_procurement import (  # noqa: F401 - world is a fixture
    HONGHUAGANG, MINUTE, NANMING, YEAR, award_both_lots, bid, complete, lot, open_ids, rank, revise_documents, world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(world):  # noqa: F811
    """Both lots awarded in the first round, their notices issued: lot 1 (南明区) to org1, lot 2 to org2."""
    users, counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    award_both_lots(instance, users)
    return users, counties, instance


def challenged(users, org="org2", answer=True):
    """A challenge of `org` against lot 1 the next morning, judged harmless and, with `answer`, answered at once."""
    move_clock_to(clock.now() + timedelta(days=1))
    challenge = file_challenge(lot(NANMING).pk, org, "第一名的业绩证明不实", actor=users[org])
    handling = challenge.process_instance
    complete(handling, "assess_challenge", users, {"may_change_result": False, "assessment": "不影响中标结果"})
    if answer:
        complete(handling, "answer_challenge", users, {"answer": "经复核，业绩证明属实，维持中标结果"})
    challenge.refresh_from_db()
    return challenge


def accept(complaint, users, suspend):
    complete(complaint.process_instance, "accept_complaint", users, {"suspend": suspend, "acceptance": "符合投诉条件，予以受理"})
    complaint.refresh_from_db()


def decide(complaint, users, outcome, decision="经调查，投诉事项不成立"):
    complete(complaint.process_instance, "decide_complaint", users, {"outcome": outcome, "decision": decision})
    dispatch_due_timers()
    complaint.refresh_from_db()


def test_a_complaint_comes_after_the_answer_or_the_answer_period_and_within_15_working_days(awarded):
    users, _counties, _instance = awarded
    answered = challenged(users)
    unanswered = challenged(users, "org3", answer=False)
    with pytest.raises(InvalidInput, match="只有提出该质疑的 遵义启航社工服务社 才能就其答复投诉"):
        file_complaint(unanswered.pk, "org2", "未答复")
    # The purchaser may still answer in time: too early.
    move_clock_to(unanswered.answer_due_at - MINUTE)
    with pytest.raises(InvalidInput) as refused:
        file_complaint(unanswered.pk, "org3", "采购人未答复")
    message = refused.value.errors["challenge"]
    assert message == (f"质疑的答复期至 {unanswered.answer_due_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M} 届满："
                       "采购人答复后或答复期满后方可投诉")
    # Answered: the challenger may complain at once; unanswered, from the end of the answer period.
    complaint = file_complaint(answered.pk, "org2", "答复未回应业绩造假问题", actor=users["org2"])
    # The procurement's page lists its challenges, a challenge's page its complaint.
    assert complaint.process_instance.parent_id == answered.process_instance_id
    assert answered.process_instance.parent_id == _instance.pk
    with pytest.raises(InvalidInput, match="已于 .* 就该质疑提出投诉"):
        file_complaint(answered.pk, "org2", "再次投诉")
    move_clock_to(unanswered.answer_due_at)
    closes = calendar.add_workdays(calendar.add_workdays(unanswered.filed_on, 7).last_day, 15).at
    assert unanswered.complaint_window_closes_at == closes
    move_clock_to(closes)
    with pytest.raises(InvalidInput) as refused:
        file_complaint(unanswered.pk, "org3", "采购人未答复")
    assert refused.value.errors["challenge"] == (
        f"投诉期已于 {closes.astimezone(clock.CHINA):%Y-%m-%d %H:%M} 届满：投诉应在质疑答复期满后 15 个工作日内提出")
    assert list(Complaint.objects.values_list("pk", flat=True)) == [complaint.pk]
    filed = AuditEvent.objects.get(action="complaint.filed", record_id=str(complaint.pk))
    assert (filed.actor, filed.instance_id) == ("org2", complaint.process_instance_id)
    assert complaint.process_instance.business_key == f"complaint-{YEAR}-{complaint.pk}"


def test_the_finance_department_decides_within_30_working_days_or_is_pressed(awarded):
    users, _counties, _instance = awarded
    complaint = file_complaint(challenged(users).pk, "org2", "答复未回应业绩造假问题", actor=users["org2"])
    handling = complaint.process_instance
    acceptance = open_task(handling, "accept_complaint")
    assert acceptance.office == "gz-fin" and acceptance.due_at == calendar.add_workdays(complaint.filed_on, 5).at
    accept(complaint, users, suspend=False)
    assert complaint.state == "accepted" and complaint.suspended_on is None
    assert lot(NANMING).state == LotState.AWARDED
    decision = open_task(handling, "decide_complaint")
    assert decision.office == "gz-fin" and decision.due_at == calendar.add_workdays(complaint.filed_on, 30).at
    move_clock_to(decision.due_at)
    assert "remind_complaint_decision" not in open_ids(handling)
    move_clock_to(decision.due_at + MINUTE)
    assert open_task(handling, "remind_complaint_decision").office == "gz-fin"
    decide(complaint, users, "dismissed")
    assert (complaint.state, complaint.outcome) == ("decided", "dismissed")
    assert complaint.decided_on == clock.today_in_china()
    assert open_task(handling, "acknowledge_decision").office == "org2"
    # Seen by the complainant, the purchaser and the finance department; not by other bidders or the county.
    for user, sees in (("org2", True), ("gz", True), ("gz-fin", True), ("org3", False), (NANMING, False)):
        assert can_see_instance(users[user], reload(handling)) is sees, user
        shown = tasks_visible_to(users[user], HumanTask.objects.filter(instance=handling))
        assert shown.filter(bpmn_id="decide_complaint").exists() is sees, user


def test_a_suspension_stops_signing_for_30_days_at_most(awarded):
    users, counties, _instance = awarded
    complaint = file_complaint(challenged(users).pk, "org2", "答复未回应业绩造假问题", actor=users["org2"])
    accept(complaint, users, suspend=True)
    dispatch_due_timers()
    assert lot(NANMING).state == LotState.SUSPENDED and lot(HONGHUAGANG).state == LotState.AWARDED
    assert "暂停第 1 标段的采购活动" in reload(counties[NANMING]).data["suspension"]["reason"]
    ends = calendar.add_days(complaint.accepted_on, 30, roll_forward=False).at
    assert complaint.suspension_ends_at == ends
    move_clock_to(ends)
    assert lot(NANMING).state == LotState.SUSPENDED
    move_clock_to(ends + MINUTE)
    complaint.refresh_from_db()
    assert complaint.suspension_lifted_on == clock.today_in_china() and complaint.state == "accepted"
    resumed = lot(NANMING)
    assert resumed.state == LotState.AWARDED and resumed.winner.code == "org1"
    county = reload(counties[NANMING])
    assert county.state == "completed" and county.data["award"]["social_org"] == "org1"
    # Still undecided, the complaint goes on; its decision changes nothing on the lot.
    decide(complaint, users, "upheld", "答复不够充分，但不影响中标结果")
    assert complaint.outcome == "upheld" and lot(NANMING).state == LotState.AWARDED


def test_an_award_set_aside_is_tendered_again_through_the_guidance_and_its_county_signs_with_the_new_winner(awarded):
    users, counties, instance = awarded
    challenge = challenged(users)
    complaint = file_complaint(challenge.pk, "org2", "答复未回应业绩造假问题", actor=users["org2"])
    accept(complaint, users, suspend=True)
    project = ProcurementProject.objects.get(year=YEAR)
    move_clock_to(project.challenge_window_closes_at + MINUTE)
    # The challenge window closed, but the complaint may change the result: the procurement waits.
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.SETTLING
    assert reload(instance).state == "waiting" and open_ids(instance) == []
    decide(complaint, users, "award_void", "第一名业绩造假，中标结果无效")
    voided = lot(NANMING)
    assert (voided.state, voided.winner, voided.set_aside_on) == (LotState.FAILED, None, clock.today_in_china())
    assert reload(instance).data["settlement_message"]["outcome"] == "award_void"
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.FAILED
    assert open_ids(instance) == ["handle_failed_tender"]
    revise_documents(instance, users, "中标结果被认定无效，重新招标")
    move_clock_to(clock.now() + timedelta(hours=1))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-2"})
    assert lot(NANMING).state == LotState.OPEN and lot(NANMING).tender_round == 2
    assert lot(HONGHUAGANG).state == LotState.AWARDED
    move_clock_to(clock.now() + timedelta(days=21))
    complete(instance, "open_bids", users, {"bids": [bid(1, "org2", "560000.00"), bid(1, "org3", "585000.00"),
                                                     bid(1, "org4", "570000.00")], "evaluator": "eval1"},
             files=["opening_record"])
    complete(instance, "evaluate_bids", users, {"ranking": [rank(1, 1, "org2", "560000.00", "93.00"),
                                                            rank(1, 2, "org4", "570000.00", "88.00")]},
             files=["evaluation_report"])
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg-2"}, files=["award_notices"])
    dispatch_due_timers()
    # The county waited with signing suspended since the complaint; it resumes with the new winner.
    county = reload(counties[NANMING])
    assert county.state == "completed" and county.data["award"]["social_org"] == "org2"
    assert county.data["award"]["award_notice_on"] == clock.today_in_china().isoformat()
    move_clock_to(ProcurementProject.objects.get(pk=project.pk).challenge_window_closes_at + MINUTE)
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.CONCLUDED
    assert reload(instance).state == "completed"
    assert open_task(complaint.process_instance, "acknowledge_decision").office == "org2"


def test_a_decision_that_cannot_take_effect_goes_back_with_the_reason(awarded):
    users, _counties, _instance = awarded
    complaint = file_complaint(challenged(users).pk, "org2", "答复未回应业绩造假问题", actor=users["org2"])
    accept(complaint, users, suspend=False)
    signed = lot(NANMING)
    signed.sign()  # the county signed meanwhile, the procurement not being suspended
    signed.save()
    decide(complaint, users, "award_void", "第一名业绩造假，中标结果无效")
    assert complaint.state == "accepted" and lot(NANMING).state == LotState.SIGNED
    handling = reload(complaint.process_instance)
    assert "已签订服务协议" in handling.data["decision_result"]["refusal"]
    assert [t.state for t in HumanTask.objects.filter(instance=handling, bpmn_id="decide_complaint")
            .order_by("created_at")] == ["completed", "open"]
    decide(complaint, users, "upheld", "投诉事项成立，合同已签订，另行处理")
    assert (complaint.state, complaint.outcome) == ("decided", "upheld")
