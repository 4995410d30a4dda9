"""The provincial procurement with the real diagram: the tender with the clock moved, its minimum periods,
the deemed winner, challenges (each its own instance) suspending signing, a failed lot tendered again after the
finance department's guidance, and the award messages reaching county instances (a stand-in for the county
cycle's signing phase)."""
import json
from datetime import timedelta
from pathlib import Path

import pytest

from engine import api
from engine.api import calendar, clock
from engine.api import deploy, read_files
from engine.errors import Conflict, InvalidInput
from engine.models import AuditEvent, HumanTask, Message
from engine.api import dispatch_due_timers
from workflows.models import Membership, Office, OfficeKind
from workflows.planning.models import AnnualPlan, Evaluation, EvaluationState, Grade, PlanState, ServiceAgreement
from workflows.procurement.challenges import file_challenge
from workflows.procurement.launch import start_procurement
from workflows.procurement.models import Challenge, Lot, LotState, ProcurementProject, ProjectState
from workflows.visibility import can_see_instance

from .conftest import BPMN_DIR
from .steps import china, move_clock_to, open_task, reload
from .uploads import uploaded

pytestmark = pytest.mark.django_db

DIAGRAM = Path(__file__).resolve().parent.parent / "bpmn" / "provincial_procurement.bpmn"
DIAGRAMS = [DIAGRAM.parent / f"{key}.bpmn" for key in ("procurement_challenge", "procurement_complaint")]
YEAR = 2027
NANMING, HONGHUAGANG = "520102", "520302"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def world(offices, django_user_model):
    """The test office tree plus three more organisations and an evaluation committee; both counties' plans filed."""
    for code, name, kind in [("org2", "贵州同心社工中心", OfficeKind.SOCIAL_ORG),
                             ("org3", "遵义启航社工服务社", OfficeKind.SOCIAL_ORG),
                             ("org4", "黔南助人社工中心", OfficeKind.SOCIAL_ORG),
                             ("eval1", "2027 年社工站项目评标委员会", OfficeKind.EVALUATOR)]:
        office = Office.objects.create(code=code, name=name, kind=kind)
        user = django_user_model.objects.create_user(code, password="pw")
        Membership.objects.create(user=user, office=office, is_supervisor=True)
        offices[code] = user
    for county, budget, stations in [(NANMING, "600000.00", 2), (HONGHUAGANG, "300000.00", 1)]:
        AnnualPlan.objects.create(county=Office.objects.get(code=county), year=YEAR, budget=budget,
                                  station_count=stations, state=PlanState.FILED)
    bpmn, forms = read_files([DIAGRAM, *DIAGRAMS])
    deploy(bpmn, forms)
    deploy_bpmn_standin()
    counties = {code: api.start("county_award_standin", business_key=f"county-{YEAR}-{code}",
                                data={"county": code, "year": YEAR}).instance for code in (NANMING, HONGHUAGANG)}
    return offices, counties


def deploy_bpmn_standin():
    bpmn, forms = read_files([BPMN_DIR / "county_award_standin.bpmn"])
    deploy(bpmn, forms)


def open_ids(instance):
    return sorted(HumanTask.objects.filter(instance=instance, state__in=["open", "claimed"])
                  .values_list("bpmn_id", flat=True))


def complete(instance, bpmn_id, users, data, files=()):
    """Complete the open task `bpmn_id`; `files` names the file fields, each given one file uploaded for the task."""
    row = open_task(instance, bpmn_id)
    data = {**data, **{field: uploaded(row, f"{field}.pdf") for field in files}}
    return api.complete_task(row.id, data, actor=users[row.office]).task


def revise_documents(instance, users, analysis="有效投标人不足三家，放宽业绩要求"):
    """The failed tender announced, its documents revised and approved by the finance department again."""
    complete(instance, "handle_failed_tender", users, {"failure_url": "http://www.ccgp-guizhou.gov.cn/fb/2027-2",
                                                       "failure_analysis": analysis})
    complete(instance, "prepare_documents", users, {
        "evaluation_method": "comprehensive", "qualification": "依法登记的社会工作服务机构", "min_social_workers": 1},
        files=["tender_documents"])
    assert open_task(instance, "give_guidance").office == "gz-fin"
    complete(instance, "give_guidance", users, {"decision": "approve", "guidance": "同意重新招标"})


def lot(county):
    return Lot.objects.get(project__year=YEAR, county__code=county)


def bid(lot_number, org, price):
    return {"lot_number": lot_number, "social_org": org, "price": price}


def rank(lot_number, position, org, price, score):
    return {"lot_number": lot_number, "rank": position, "social_org": org, "price": price, "score": score}


def through_guidance(instance, users):
    """Intention published on 1 September 2026; the finance department returns the documents once."""
    complete(instance, "publish_intention", users, {
        "intention_url": "http://www.ccgp-guizhou.gov.cn/yx/2027-1", "planned_start": "2026-10-09",
        "intention_summary": "全省社会工作服务站驻站服务，按县分标段"})
    documents = {"evaluation_method": "comprehensive", "qualification": "依法登记的社会工作服务机构",
                 "min_social_workers": 2}
    complete(instance, "prepare_documents", users, documents, files=["tender_documents"])
    with pytest.raises(InvalidInput) as err:
        complete(instance, "give_guidance", users, {"decision": "return"})
    assert "comment" in err.value.errors
    complete(instance, "give_guidance", users, {"decision": "return", "comment": "补充驻站社工资质要求"})
    complete(instance, "prepare_documents", users, documents, files=["tender_documents"])
    complete(instance, "give_guidance", users, {"decision": "approve", "guidance": "同意采用公开招标"})


def tender(instance, users, published, opened, bids):
    """Publish the tender at `published`, open the bids at `opened` (20 days later at least)."""
    move_clock_to(published)
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-1"})
    move_clock_to(opened)
    assert "open_bids" in open_ids(instance)
    complete(instance, "open_bids", users, {"bids": bids, "evaluator": "eval1"}, files=["opening_record"])


def first_round(instance, users):
    """Lot 1 (南明区) gets three valid bids; lot 2 (红花岗区) only two valid ones: org4 bids over budget."""
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    tender(instance, users, china(2026, 10, 9, 9), china(2026, 10, 30, 10), [
        bid(1, "org1", "580000.00"), bid(1, "org2", "560000.00"), bid(1, "org3", "590000.00"),
        bid(2, "org1", "290000.00"), bid(2, "org2", "280000.00"), bid(2, "org4", "300000.01")])
    complete(instance, "evaluate_bids", users, {"ranking": [
        rank(1, 1, "org1", "580000.00", "92.50"), rank(1, 2, "org2", "560000.00", "90.00"),
        rank(1, 3, "org3", "590000.00", "85.00")]}, files=["evaluation_report"])


def award_both_lots(instance, users):
    """A first round in which both lots get three valid bids: lot 1 (南明区) goes to org1, lot 2 to org2; the
    award notices are issued."""
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    tender(instance, users, china(2026, 10, 9, 9), china(2026, 10, 30, 10), [
        bid(1, "org1", "580000.00"), bid(1, "org2", "560000.00"), bid(1, "org3", "590000.00"),
        bid(2, "org2", "290000.00"), bid(2, "org3", "280000.00"), bid(2, "org4", "295000.00")])
    complete(instance, "evaluate_bids", users, {"ranking": [
        rank(1, 1, "org1", "580000.00", "92.50"), rank(1, 2, "org2", "560000.00", "90.00"),
        rank(2, 1, "org2", "290000.00", "91.00"), rank(2, 2, "org3", "280000.00", "89.00")]},
        files=["evaluation_report"])
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg"}, files=["award_notices"])
    dispatch_due_timers()


def test_the_whole_tender_with_a_failed_lot_tendered_again(world):
    users, counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    project = ProcurementProject.objects.get(year=YEAR)
    assert project.process_instance_id == instance.pk and project.state == ProjectState.DRAFT
    assert [(lt.number, lt.county.code, str(lt.budget)) for lt in project.lots.order_by("number")] == [
        (1, NANMING, "600000.00"), (2, HONGHUAGANG, "300000.00")]
    with pytest.raises(Conflict):
        start_procurement(YEAR, actor=users["gz"])

    first_round(instance, users)
    assert lot(HONGHUAGANG).state == LotState.FAILED and lot(HONGHUAGANG).bidder_count == 2
    assert lot(NANMING).bidder_count == 3
    assert open_task(instance, "confirm_winners").office == "gz"
    complete(instance, "confirm_winners", users, {"confirmed": True})
    assert lot(NANMING).state == LotState.AWARDED and lot(NANMING).winner.code == "org1"
    complete(instance, "publish_award", users, {"award_url": "http://www.ccgp-guizhou.gov.cn/zbgg/2027-1"},
             files=["award_notices"])
    dispatch_due_timers()
    award = reload(counties[NANMING]).data["award"]
    assert award == {"county": NANMING, "year": YEAR, "lot": lot(NANMING).pk, "social_org": "org1",
                     "amount": "580000.00", "award_notice_on": clock.today_in_china().isoformat()}
    assert "award" not in reload(counties[HONGHUAGANG]).data

    # Announcement 1 working day, then 7 for challenges: the window closes, lot 2 is tendered again.
    closes = calendar.add_workdays(calendar.add_workdays(clock.today_in_china(), 1), 7).at
    move_clock_to(closes)
    assert "handle_failed_tender" not in open_ids(instance)
    move_clock_to(closes + MINUTE)
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.FAILED
    # The re-tender's documents are revised and go through the finance department's guidance first.
    complete(instance, "handle_failed_tender", users, {"failure_url": "http://www.ccgp-guizhou.gov.cn/fb/2027-2",
                                                       "failure_analysis": "有效投标人不足三家，放宽业绩要求"})
    assert open_ids(instance) == ["prepare_documents"]
    complete(instance, "prepare_documents", users, {
        "evaluation_method": "comprehensive", "qualification": "依法登记的社会工作服务机构", "min_social_workers": 1},
        files=["tender_documents"])
    complete(instance, "give_guidance", users, {"decision": "return", "comment": "业绩要求仍然过高"})
    assert open_ids(instance) == ["prepare_documents"]
    complete(instance, "prepare_documents", users, {
        "evaluation_method": "comprehensive", "qualification": "依法登记的社会工作服务机构", "min_social_workers": 1},
        files=["tender_documents"])
    complete(instance, "give_guidance", users, {"decision": "approve", "guidance": "同意重新招标"})
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.GUIDANCE
    republished = clock.now()
    move_clock_to(republished + timedelta(hours=1))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-2"})
    project.refresh_from_db()
    assert project.state == ProjectState.TENDERING and project.tender_round == 2
    assert lot(HONGHUAGANG).state == LotState.OPEN and lot(NANMING).state == LotState.AWARDED
    move_clock_to(clock.now() + timedelta(days=21))
    complete(instance, "open_bids", users, {"bids": [bid(2, "org2", "280000.00"), bid(2, "org3", "285000.00"),
                                                     bid(2, "org4", "299000.00")],
                                            "evaluator": "eval1"}, files=["opening_record"])
    complete(instance, "evaluate_bids", users, {"ranking": [rank(2, 1, "org3", "285000.00", "88.00"),
                                                            rank(2, 2, "org2", "280000.00", "86.00")]},
             files=["evaluation_report"])
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://www.ccgp-guizhou.gov.cn/zbgg/2027-2"},
             files=["award_notices"])
    dispatch_due_timers()
    assert reload(counties[HONGHUAGANG]).data["award"]["social_org"] == "org3"
    move_clock_to(ProcurementProject.objects.get(pk=project.pk).challenge_window_closes_at + MINUTE)
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.CONCLUDED
    assert reload(instance).state == "completed"


def test_the_province_lets_a_re_tender_go_on_with_two_bidders_by_changing_a_decision_table(world):
    """The number of valid bidders a lot needs is the decision table min_bidders, a policy deployed as a version."""
    users, _counties = world
    bpmn, forms = read_files([DIAGRAM])
    rule = '<outputEntry id="later_rounds_min"><text>3</text>'
    assert rule in bpmn["min_bidders.dmn"].decode("utf-8")
    policy = bpmn["min_bidders.dmn"].decode("utf-8").replace(rule, rule.replace(">3<", ">2<"))
    [version] = deploy({**bpmn, "min_bidders.dmn": policy}, forms, note="重新招标两家即可").created
    assert version.number == 2
    instance = start_procurement(YEAR, actor=users["gz"])
    first_round(instance, users)
    assert lot(HONGHUAGANG).state == LotState.FAILED, "the first round still needs three"
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://www.ccgp-guizhou.gov.cn/zbgg/2027-1"},
             files=["award_notices"])
    move_clock_to(calendar.add_workdays(calendar.add_workdays(clock.today_in_china(), 1), 7).at + MINUTE)
    revise_documents(instance, users, "有效投标人不足三家")
    move_clock_to(clock.now() + timedelta(hours=1))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-2"})
    move_clock_to(clock.now() + timedelta(days=21))
    complete(instance, "open_bids", users, {"bids": [bid(2, "org2", "280000.00"), bid(2, "org3", "285000.00")],
                                            "evaluator": "eval1"}, files=["opening_record"])
    assert lot(HONGHUAGANG).state == LotState.OPEN and lot(HONGHUAGANG).bidder_count == 2
    assert reload(instance).data["min_bidders"] == 2 and "evaluate_bids" in open_ids(instance)


def test_each_lot_carries_the_countys_previous_evaluation_into_the_bid_evaluation_form(world):
    users, _counties = world
    nanming = Office.objects.get(code=NANMING)
    delivered = ServiceAgreement.objects.create(county=nanming, year=YEAR - 1, amount="550000.00",
                                                social_org=Office.objects.get(code="org2"))
    Evaluation.objects.create(county=nanming, year=YEAR - 1, agreement=delivered, state=EvaluationState.CONCLUDED,
                              score="86.5", grade=Grade.GOOD, summary="服务成效良好")
    Evaluation.objects.create(county=nanming, year=YEAR - 2, state=EvaluationState.CONCLUDED, score="70.0",
                              grade=Grade.PASS)  # two years back: not the previous one
    Evaluation.objects.create(county=Office.objects.get(code=HONGHUAGANG), year=YEAR - 1,
                              state=EvaluationState.EVALUATING)  # not concluded: nothing to show yet
    instance = start_procurement(YEAR, actor=users["gz"])
    assert lot(NANMING).previous_evaluation.year == YEAR - 1 and lot(HONGHUAGANG).previous_evaluation is None

    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    tender(instance, users, china(2026, 10, 9, 9), china(2026, 10, 30, 10), [
        bid(1, "org1", "580000.00"), bid(1, "org2", "560000.00"), bid(1, "org3", "590000.00")])
    row = open_task(instance, "evaluate_bids")
    assert row.form_id == "procurement_evaluation"
    rows = {lt["number"]: lt for lt in reload(instance).data["tender"]["lots"]}
    assert {key: rows[1][key] for key in ("previous_year", "previous_score", "previous_grade", "previous_social_org",
                                          "previous_social_org_name")} == {
        "previous_year": YEAR - 1, "previous_score": "86.5", "previous_grade": "良好", "previous_social_org": "org2",
        "previous_social_org_name": "贵州同心社工中心"}
    assert rows[2]["previous_year"] == rows[2]["previous_grade"] == rows[2]["previous_social_org_name"] == ""
    # the form lists the lots read-only (a table), one column per kept item
    form = json.loads((DIAGRAM.parent / "forms" / "procurement_evaluation.form").read_text(encoding="utf-8"))
    table = next(c for c in form["components"] if c["type"] == "table" and c["dataSource"] == "=tender.lots")
    columns = {column["key"] for column in table["columns"]}
    assert {"previous_year", "previous_score", "previous_grade", "previous_social_org_name"} <= columns <= set(rows[1])


def test_the_bid_forms_offer_the_organisations_registered_now_not_a_copy_kept_in_the_data(world):
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    data = reload(instance).data
    assert "suppliers" not in data and "evaluators" not in data and not data["procurement"]["suppliers"]
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    move_clock_to(china(2026, 10, 9, 9))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-1"})
    move_clock_to(china(2026, 10, 30, 10))
    Office.objects.create(code="org-late", name="新登记社工中心", kind=OfficeKind.SOCIAL_ORG)  # after the start
    offered = api.task_form(open_task(instance, "open_bids")).data["suppliers"]
    assert [o["value"] for o in offered] == sorted(
        Office.objects.filter(kind=OfficeKind.SOCIAL_ORG).values_list("code", flat=True))
    assert {"label": "新登记社工中心", "value": "org-late"} in offered
    complete(instance, "open_bids", users, {"bids": [bid(1, "org-late", "580000.00"), bid(1, "org1", "560000.00"),
                                                     bid(1, "org2", "570000.00")], "evaluator": "eval1"},
             files=["opening_record"])
    assert "evaluate_bids" in open_ids(instance)
    assert "suppliers" not in reload(instance).data


def test_a_version_whose_script_still_unpacks_the_lists_runs_and_its_forms_get_them_by_name(world):
    users, _counties = world
    bpmn, forms = read_files([DIAGRAM])
    script = b'<bpmn:script>lots = procurement["lots"]</bpmn:script>'
    assert script in bpmn[DIAGRAM.name]
    bpmn[DIAGRAM.name] = bpmn[DIAGRAM.name].replace(script, b'<bpmn:script>lots = procurement["lots"]\n'
                                                    b'suppliers = procurement["suppliers"]\n'
                                                    b'evaluators = procurement["evaluators"]</bpmn:script>')
    deploy(bpmn, forms)  # as deployed before the lists were given by name
    instance = start_procurement(YEAR, actor=users["gz"])
    assert reload(instance).data["suppliers"] == [] and "publish_intention" in open_ids(instance)
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    move_clock_to(china(2026, 10, 9, 9))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-1"})
    move_clock_to(china(2026, 10, 30, 10))
    form = api.task_form(open_task(instance, "open_bids"))
    assert {o["value"] for o in form.data["suppliers"]} == {"org1", "org2", "org3", "org4"}
    assert [o["value"] for o in form.data["evaluators"]] == ["eval1"]


def test_the_30_day_intention_and_20_day_bidding_minimums_are_refused_with_their_reason(world):
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    move_clock_to(china(2026, 10, 1, 23, 59))
    with pytest.raises(InvalidInput) as err:
        complete(instance, "publish_tender", users, {"announcement_url": "http://x/zb"})
    assert "不得晚于采购活动开始前30日" in str(err.value) and "2026-10-02" in str(err.value)
    move_clock_to(china(2026, 10, 9, 9))
    complete(instance, "publish_tender", users, {"announcement_url": "http://x/zb"})
    # The 5-working-day announcement period ends first; the bidding period runs 20 days from 9 October.
    move_clock_to(china(2026, 10, 29, 23, 59))
    with pytest.raises(InvalidInput) as err:
        complete(instance, "open_bids", users, {"bids": [bid(1, "org1", "1.00")], "evaluator": "eval1"},
                 files=["opening_record"])
    assert "不得少于20日" in str(err.value) and "2026-10-30" in str(err.value)
    assert ProcurementProject.objects.get(year=YEAR).state == ProjectState.BID_OPENING
    move_clock_to(china(2026, 10, 30, 0, 0))
    complete(instance, "open_bids", users, {"bids": [bid(1, "org1", "1.00")], "evaluator": "eval1"},
             files=["opening_record"])
    # Too few bidders everywhere: the whole tender failed and goes to a re-tender.
    assert open_ids(instance) == ["handle_failed_tender"]
    assert ProcurementProject.objects.get(year=YEAR).state == ProjectState.FAILED


def test_a_late_evaluation_is_escalated_and_rank_one_is_deemed_the_winner_when_the_purchaser_is_silent(world):
    users, counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    tender(instance, users, china(2026, 10, 9, 9), china(2026, 10, 30, 10), [
        bid(1, "org1", "580000.00"), bid(1, "org2", "560000.00"), bid(1, "org3", "590000.00")])
    evaluation_due = open_task(instance, "evaluate_bids").due_at
    assert evaluation_due == calendar.add_workdays("2026-10-30", 2).at
    move_clock_to(evaluation_due + MINUTE)
    assert open_task(instance, "remind_evaluation").office == "gz"
    complete(instance, "evaluate_bids", users, {"ranking": [rank(1, 1, "org2", "560000.00", "91.00"),
                                                            rank(1, 2, "org1", "580000.00", "89.00")]},
             files=["evaluation_report"])
    confirm_due = open_task(instance, "confirm_winners").due_at
    assert confirm_due == calendar.add_workdays(clock.today_in_china(), 5).at
    move_clock_to(confirm_due)
    assert lot(NANMING).state == LotState.OPEN
    move_clock_to(confirm_due + MINUTE)
    assert "confirm_winners" not in open_ids(instance)
    deemed = lot(NANMING)
    assert deemed.state == LotState.AWARDED and deemed.winner.code == "org2" and deemed.winner_deemed
    # The award notice is due 2 working days later; missed, the finance department is asked to push it.
    award_due = open_task(instance, "publish_award").due_at
    move_clock_to(award_due + MINUTE)
    assert open_task(instance, "remind_award_notice").office == "gz-fin"
    complete(instance, "remind_award_notice", users, {"measures": "电话督促当日发布"})
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg"}, files=["award_notices"])
    dispatch_due_timers()
    assert reload(counties[NANMING]).data["award"]["social_org"] == "org2"


def test_a_challenge_that_may_change_the_result_suspends_signing_of_its_lot_until_answered(world):
    users, counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    first_round(instance, users)
    complete(instance, "confirm_winners", users, {"confirmed": True})
    with pytest.raises(InvalidInput, match="尚未公告中标结果"):
        file_challenge(lot(NANMING).pk, "org2", "评分有误")
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg"}, files=["award_notices"])
    dispatch_due_timers()
    with pytest.raises(InvalidInput, match="不是登记的承接社会组织"):
        file_challenge(lot(NANMING).pk, "eval1", "评分有误")

    move_clock_to(clock.now() + timedelta(days=1))
    with pytest.raises(InvalidInput, match="是第 1 标段的中标人"):
        file_challenge(lot(NANMING).pk, lot(NANMING).winner.code, "评分有误")
    challenge = file_challenge(lot(NANMING).pk, "org2", "第一名的业绩证明不实", actor=users["org2"])
    # The challenge runs in an instance of its own, named after it, listed on the procurement's page.
    handling = challenge.process_instance
    assert handling.business_key == f"challenge-{YEAR}-{challenge.pk}" and handling.parent_id == instance.pk
    filed = AuditEvent.objects.get(action="challenge.filed", record_id=str(challenge.pk))
    assert (filed.actor, filed.instance_id) == ("org2", handling.pk)
    assert open_ids(instance) == [], "the procurement waits for its challenge window, not for the challenge"
    assessment = open_task(handling, "assess_challenge")
    assert assessment.office == "gz"
    assert assessment.due_at == calendar.add_workdays(challenge.filed_on, 7).at
    complete(handling, "assess_challenge", users, {"may_change_result": True, "assessment": "涉及评分，暂停签约"})
    dispatch_due_timers()
    assert lot(NANMING).state == LotState.SUSPENDED
    assert "第 1 标段" in reload(counties[NANMING]).data["suspension"]["reason"]

    # Not answered in 7 working days: the finance department is asked to push it.
    move_clock_to(calendar.add_workdays(challenge.filed_on, 7).at + MINUTE)
    assert open_task(handling, "remind_challenge_answer").office == "gz-fin"
    complete(handling, "answer_challenge", users, {"answer": "经复核，第一名业绩不实，中标结果改为第二名",
                                                   "result_changed": True, "new_winner": "org2"})
    dispatch_due_timers()
    challenge.refresh_from_db()
    assert challenge.state == "answered" and challenge.result_changed and challenge.may_change_result
    changed = lot(NANMING)
    assert changed.state == LotState.AWARDED and changed.winner.code == "org2"
    county = reload(counties[NANMING])
    assert county.state == "completed"
    assert county.data["award"] == {"county": NANMING, "year": YEAR, "lot": changed.pk, "social_org": "org2",
                                    "amount": "560000.00", "award_notice_on": clock.today_in_china().isoformat()}
    # The challenger acknowledges the answer in its own inbox, and sees its own challenge.
    assert open_task(handling, "acknowledge_answer").office == "org2"
    assert can_see_instance(users["org2"], reload(handling)) and not can_see_instance(users["org3"], reload(handling))
    assert not can_see_instance(users[NANMING], reload(handling))
    # Filing a challenge does not make it a party who may read the whole procurement.
    assert not can_see_instance(users["org2"], reload(instance))
    # The other lot was never suspended: nothing went to its county.
    assert not Message.objects.filter(name="signing_suspended", correlation__county=HONGHUAGANG).exists()


def test_a_challenge_runs_on_its_own_and_its_escalation_does_not_hold_the_procurement_open(world):
    """The procurement waits while the challenger may still complain, not for the challenge's 督办 task."""
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    award_both_lots(instance, users)
    move_clock_to(clock.now() + timedelta(days=1))
    challenge = file_challenge(lot(NANMING).pk, "org3", "评分标准适用有误", actor=users["org3"])
    handling = challenge.process_instance
    complete(handling, "assess_challenge", users, {"may_change_result": False, "assessment": "不影响中标结果"})
    assert lot(NANMING).state == LotState.AWARDED
    move_clock_to(challenge.answer_due_at + MINUTE)
    assert open_task(handling, "remind_challenge_answer").office == "gz-fin"
    complete(handling, "answer_challenge", users, {"answer": "评分标准适用无误，维持中标结果"})
    assert open_ids(handling) == ["acknowledge_answer", "remind_challenge_answer"]
    # The challenge window closes; the challenger may still complain until its complaint window closes.
    project = ProcurementProject.objects.get(year=YEAR)
    move_clock_to(project.challenge_window_closes_at + MINUTE)
    project.refresh_from_db()
    assert project.state == ProjectState.SETTLING and reload(instance).current_elements == ["settlement_wait"]
    move_clock_to(challenge.complaint_window_closes_at)
    assert reload(instance).state == "waiting"
    move_clock_to(challenge.complaint_window_closes_at + MINUTE)
    assert ProcurementProject.objects.get(pk=project.pk).state == ProjectState.CONCLUDED
    assert reload(instance).state == "completed"
    assert reload(handling).state == "running" and "remind_challenge_answer" in open_ids(handling)


def test_an_unanswered_challenge_that_may_change_the_result_holds_the_procurement_until_answered(world):
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    award_both_lots(instance, users)
    move_clock_to(clock.now() + timedelta(days=1))
    challenge = file_challenge(lot(HONGHUAGANG).pk, "org3", "第一名报价低于成本", actor=users["org3"])
    handling = challenge.process_instance
    complete(handling, "assess_challenge", users, {"may_change_result": True, "assessment": "涉及报价，暂停签约"})
    move_clock_to(challenge.complaint_window_closes_at + MINUTE)
    assert reload(instance).current_elements == ["decision_news"], "nothing left to wait for but the answer"
    complete(handling, "answer_challenge", users, {"answer": "报价合理，维持中标结果"})
    dispatch_due_timers()
    assert reload(instance).data["settlement_message"] == {"year": YEAR, "province": "gz", "challenge": challenge.pk}
    assert ProcurementProject.objects.get(year=YEAR).state == ProjectState.CONCLUDED
    assert reload(instance).state == "completed" and lot(HONGHUAGANG).state == LotState.AWARDED


def test_a_challenge_after_the_window_is_refused(world):
    users, _counties = world
    instance = start_procurement(YEAR, actor=users["gz"])
    first_round(instance, users)
    complete(instance, "confirm_winners", users, {"confirmed": True})
    complete(instance, "publish_award", users, {"award_url": "http://x/zbgg"}, files=["award_notices"])
    move_clock_to(ProcurementProject.objects.get(year=YEAR).challenge_window_closes_at + MINUTE)
    with pytest.raises(InvalidInput, match="质疑期已于 .* 届满"):
        file_challenge(lot(NANMING).pk, "org2", "评分有误")
    assert not Challenge.objects.exists()


def test_procurement_needs_filed_plans(offices):
    AnnualPlan.objects.create(county=Office.objects.get(code=NANMING), year=YEAR, budget="1.00",
                              state=PlanState.SUBMITTED)
    with pytest.raises(InvalidInput, match="没有已备案的年度实施计划"):
        start_procurement(YEAR)
