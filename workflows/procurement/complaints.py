"""Complaints (投诉): a challenger unsatisfied with the answer to its challenge, or given none in time, complains to
the finance department (政府采购法 55-57). Each runs in its own procurement_complaint instance."""
from django.db import transaction
from django.utils.translation import gettext as _

from engine import api
from engine.api import calendar, clock
from engine.errors import InvalidInput, NotFound
from engine.extensions import service
from workflows.models import Office, OfficeKind
from workflows.records import save_transition

from .handlers import resume_signing, set_aside, suspend_signing, tell_procurement
from .models import Challenge, ChallengeState, Complaint, ComplaintOutcome, LotState
from .provinces import purchaser_named

PROCESS = "procurement_complaint"
SUSPENSION_DAYS = 30  # the longest the finance department may suspend the procurement (政府采购法 57)


def business_key(complaint):
    return f"complaint-{complaint.challenge.lot.project.year}-{complaint.pk}"


def _when(moment):
    return f"{moment.astimezone(clock.CHINA):%Y-%m-%d %H:%M}"


def window_open(challenge):
    """Whether its challenger may complain now: the challenge answered or its answer period over, the 15 working
    days after that period not past yet, and no complaint about it filed yet."""
    now = clock.now()
    return (not Complaint.objects.filter(challenge=challenge).exists() and now < challenge.complaint_window_closes_at
            and (challenge.state == ChallengeState.ANSWERED or now >= challenge.answer_due_at))


def file_complaint(challenge_id, social_org, grounds, actor=None):
    """File the complaint of organisation `social_org` (office code) about its challenge `challenge_id` and start
    its procurement_complaint instance; returns the complaint.

    Refused (InvalidInput, in Chinese) by anyone but the challenger, without grounds, a second time, while the
    purchaser may still answer in time, and later than 15 working days after the answer period (政府采购法 55).
    """
    challenge = Challenge.objects.select_related("lot__project__province", "lot__county", "filed_by").filter(
        pk=challenge_id).first()
    if challenge is None:
        raise NotFound(f"no challenge {challenge_id!r}")
    office = Office.objects.filter(code=social_org, kind=OfficeKind.SOCIAL_ORG).first()
    if office is None:
        raise InvalidInput({"social_org": _("%(code)s 不是登记的承接社会组织，不能投诉") % {"code": social_org}})
    if challenge.filed_by_id != office.pk:
        raise InvalidInput({"social_org": _("只有提出该质疑的 %(name)s 才能就其答复投诉") % {
            "name": challenge.filed_by.name}})
    if not (grounds or "").strip():
        raise InvalidInput({"grounds": _("请写明投诉事项和理由")})
    filed = Complaint.objects.filter(challenge=challenge).first()
    if filed is not None:
        raise InvalidInput({"challenge": _("已于 %(day)s 就该质疑提出投诉") % {"day": filed.filed_on.isoformat()}})
    now = clock.now()
    if challenge.state != ChallengeState.ANSWERED and now < challenge.answer_due_at:
        raise InvalidInput({"challenge": _("质疑的答复期至 %(when)s 届满：采购人答复后或答复期满后方可投诉") % {
            "when": _when(challenge.answer_due_at)}})
    if now >= challenge.complaint_window_closes_at:
        raise InvalidInput({"challenge": _("投诉期已于 %(when)s 届满：投诉应在质疑答复期满后 15 个工作日内提出") % {
            "when": _when(challenge.complaint_window_closes_at)}})
    with transaction.atomic():
        complaint = Complaint.objects.create(challenge=challenge, filed_by=office, filed_on=clock.today_in_china(),
                                             grounds=grounds.strip())
        # The complainant's code names its instance's supplier lane and lets it see its own complaint.
        instance = api.start(PROCESS, business_key=business_key(complaint), actor=actor, data={
            "year": challenge.lot.project.year, "complaint": complaint.pk, "social_org": office.code,
            **purchaser_named(challenge.lot.project)},
            parent=challenge.process_instance).instance
        complaint.process_instance = instance  # as its first step recorded it
        api.record_event("complaint.filed", instance=instance, record=complaint, to_state=complaint.state,
                         data={"lot": challenge.lot.number, "challenge": challenge.pk, "grounds": complaint.grounds},
                         actor=actor)
    return complaint


def _complaint(call):
    """The complaint the instance handles; the instance's first step ties the two together."""
    complaint = Complaint.objects.select_related(
        "challenge__lot__project__process_instance", "challenge__lot__county", "challenge__lot__winner",
        "filed_by").filter(pk=call.params.get("complaint")).first()
    if complaint is None or complaint.process_instance_id not in (None, call.instance.pk):
        raise NotFound(f"{call.element}: no complaint {call.params.get('complaint')!r} handled by this instance")
    unlinked = complaint.process_instance_id is None
    complaint.process_instance = call.instance  # its audit rows name the instance without a query
    if unlinked:
        complaint.save(update_fields=["process_instance"])
    return complaint


@service("procurement.receive_complaint")
def receive_complaint(call):
    """What the finance department needs: the complaint, the challenge it concerns and the answer given."""
    complaint = _complaint(call)
    challenge, lot = complaint.challenge, complaint.challenge.lot
    return {
        "complaint": complaint.pk, "challenge": challenge.pk, "lot": lot.pk, "lot_number": lot.number,
        "county": lot.county.code, "county_name": lot.county.name, "winner_name": lot.winner.name if lot.winner else "",
        "filed_by": complaint.filed_by.code, "filed_by_name": complaint.filed_by.name,
        "filed_on": complaint.filed_on.isoformat(), "grounds": complaint.grounds,
        "challenge_filed_on": challenge.filed_on.isoformat(), "challenge_grounds": challenge.grounds,
        "challenge_answer": challenge.answer or _("答复期内未答复"),
    }


@service("procurement.accept_complaint")
def accept_complaint(call):
    """Accepted today; a suspension the department chose stops the lot's signing for 30 days at most. Returns when
    such a suspension would end, whether or not there is one (the timer that would lift it needs a moment)."""
    complaint = _complaint(call)
    lot = complaint.challenge.lot
    today = clock.today_in_china()
    ends = calendar.add_days(today, SUSPENSION_DAYS, roll_forward=False)
    suspended = bool(call.params.get("suspend")) and lot.state in (LotState.AWARDED, LotState.SUSPENDED)
    complaint.accept(today, ends.at if suspended else None)
    save_transition(complaint, "accepted_on", "suspended_on", "suspension_ends_at")
    if suspended:
        reason = _("省财政厅处理 %(org)s 的投诉，暂停第 %(n)s 标段的采购活动，至迟于 %(day)s 恢复") % {
            "org": complaint.filed_by.name, "n": lot.number, "day": ends.last_day.isoformat()}
        suspend_signing(lot, reason, actor=call.actor)
    return {"accepted_on": today.isoformat(), "suspended": suspended, "suspension_ends": str(ends)}


@service("procurement.lift_complaint_suspension")
def lift_complaint_suspension(call):
    """Thirty days of suspension passed without a decision: the lot's signing may go on (政府采购法 57). A decision
    refused and taken up again re-arms the timer: a suspension already lifted stays so."""
    complaint = _complaint(call)
    if not complaint.suspending:
        return ""
    today = clock.today_in_china()
    complaint.lift_suspension(today)
    save_transition(complaint, "suspension_lifted_on")
    resume_signing(complaint.challenge.lot, actor=call.actor)
    return today.isoformat()


def _refusal(lot, outcome):
    """Why the decision cannot take effect, or ""."""
    if outcome == ComplaintOutcome.AWARD_VOID and lot.state == LotState.SIGNED:
        return _("第 %(n)s 标段已签订服务协议，不能在此认定中标结果无效并重新招标：撤销合同（财政部令第94号第三十二条）"
                 "须另行办理，请作出其他处理决定") % {"n": lot.number}
    return ""


@service("procurement.decide_complaint")
def decide_complaint(call):
    """The decision is recorded and lifts the suspension; an award declared void sends the lot to a re-tender. A
    decision that cannot take effect is not recorded: `recorded` is False and `refusal` says why."""
    complaint = _complaint(call)
    lot = complaint.challenge.lot
    outcome = ComplaintOutcome(call.params.get("outcome"))
    refusal = _refusal(lot, outcome)
    if refusal:
        return {"recorded": False, "refusal": refusal}
    today = clock.today_in_china()
    complaint.decide(outcome, call.params.get("decision") or "", today)
    save_transition(complaint, "outcome", "decision", "decided_on", "suspension_lifted_on")
    if outcome == ComplaintOutcome.AWARD_VOID and lot.state in (LotState.AWARDED, LotState.SUSPENDED):
        set_aside(lot, _("省财政厅处理投诉，认定第 %(n)s 标段中标结果无效，重新招标") % {"n": lot.number},
                  actor=call.actor)
    else:
        resume_signing(lot, actor=call.actor)
    tell_procurement(lot.project, {"complaint": complaint.pk, "outcome": outcome.value}, actor=call.actor)
    return {"recorded": True, "refusal": "", "decided_on": today.isoformat(), "outcome": outcome.value,
            "outcome_label": str(outcome.label)}
