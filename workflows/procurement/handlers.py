"""Service-task handlers of the provincial_procurement process, which keep the procurement's records in step,
and the lists of organisations and evaluators its forms offer.

Each runs inside the instance's step transaction: what it writes (records, audit rows, the messages
to the county instances) commits with the step. Dates returned into process data are ISO strings,
money is a string with two decimals.

Challenges and complaints run in instances of their own (challenges.py, complaints.py); they suspend
and resume a lot's signing through the helpers here, and tell the procurement when it waits on them.
"""
from decimal import Decimal, InvalidOperation

from django.db.models import Min

from django.utils.translation import gettext as _

from engine import api
from engine.api import calendar, clock
from engine.errors import InvalidInput, NotFound
from engine.extensions import form_options, service
from workflows.models import Office, OfficeKind
from workflows.planning.models import Evaluation
from workflows.records import known_instance, save_transition

from .models import (Challenge, ChallengeState, Complaint, ComplaintState, Lot, LotState, ProcurementProject,
                     ProjectState)
from .provinces import business_key, check_province, filed_plans

AWARD_MESSAGE = "procurement_award"
SUSPENDED_MESSAGE = "signing_suspended"
RESUMED_MESSAGE = "signing_resumed"
SETTLEMENT_MESSAGE = "procurement_settlement"
ANNOUNCEMENT_WORKDAYS = 1  # award announcement period (87号令 69)
CHALLENGE_WORKDAYS = 7  # challenge period after the announcement ends (政府采购法 52)
LOT_RELATED = ("county", "previous_evaluation__agreement__social_org")  # what _lot_data reads


def money(value):
    return f"{Decimal(value):.2f}"


def _project(call):
    # Locked: a challenge's or complaint's step reads its state to know whether the procurement waits on it.
    project = ProcurementProject.objects.select_for_update().filter(process_instance=call.instance).first()
    if project is None:
        raise NotFound(f"{call.element}: no procurement project belongs to this instance")
    # Its lots, read through project.lots, reach the instance through it for their audit rows.
    return known_instance(project, call.instance)


def _lot_data(lot):
    # flat keys: the bid-evaluation form lists the lots in a table, one column per key
    previous = lot.previous_evaluation.result() if lot.previous_evaluation else {}
    return {"lot": lot.pk, "number": lot.number, "county": lot.county.code, "county_name": lot.county.name,
            "budget": money(lot.budget), "station_count": lot.station_count,
            "previous_year": previous.get("year", ""), "previous_score": previous.get("score", ""),
            "previous_grade": previous.get("grade", ""), "previous_social_org": previous.get("social_org", ""),
            "previous_social_org_name": previous.get("social_org_name", "")}


def _options(kind):
    return [{"label": name, "value": code}
            for code, name in Office.objects.filter(kind=kind).order_by("code").values_list("code", "name")]


# Given to the bid forms as they are shown and checked, not kept in the procurement's data: procurement is
# open to every registered organisation, 1,400 of them in a nation, and one may register while it runs.
@form_options("suppliers")
def suppliers():
    return _options(OfficeKind.SOCIAL_ORG)


@form_options("evaluators")
def evaluators():
    return _options(OfficeKind.EVALUATOR)


@service("procurement.prepare")
def prepare(call):
    """The year's project of the province the instance names (the home province's when it names none), with
    one lot per county of it whose annual plan is filed; returns what the forms show."""
    year = int(call.params["year"])
    province = check_province(call.data.get("province"))
    plans = list(filed_plans(year, province))
    if not plans:
        raise InvalidInput({"year": _("%(year)s 年没有已备案的年度实施计划，无法组织采购") % {"year": year}})
    project, _created = ProcurementProject.objects.get_or_create(
        code=business_key(year, province), defaults={
            "year": year, "province": Office.objects.get(code=province),
            "title": _("%(year)s 年度社会工作服务站项目政府采购") % {"year": year}})
    project.process_instance = call.instance
    project.save(update_fields=["process_instance"])
    existing = set(project.lots.values_list("county_id", flat=True))
    for number, plan in enumerate(plans, start=1):
        if plan.county_id in existing:
            continue
        Lot.objects.get_or_create(project=project, county=plan.county, defaults={
            "number": number, "budget": plan.budget or Decimal(0), "station_count": plan.station_count,
            "previous_evaluation": Evaluation.previous(plan.county.code, year)})
    return {
        "project": project.pk,
        "province": province,
        "lots": [_lot_data(lot) for lot in project.lots.select_related(*LOT_RELATED).order_by("number")],
        # Empty for the versions whose script still unpacks them; their forms are given the lists by name.
        "suppliers": [],
        "evaluators": [],
    }


@service("procurement.publish_intention")
def publish_intention(call):
    project = _project(call)
    project.publish_intention(clock.today_in_china())
    save_transition(project, "intention_published_on")
    return project.intention_published_on.isoformat()


@service("procurement.receive_guidance")
def receive_guidance(call):
    project = _project(call)
    project.receive_guidance()
    save_transition(project)
    return clock.today_in_china().isoformat()


@service("procurement.announce")
def announce(call):
    """The tender (or, after a failure, the re-tender of the failed lots) is announced today."""
    project = _project(call)
    today = clock.today_in_china()
    if project.tender_round:
        project.retender(today)
        for lot in project.lots.filter(state=LotState.FAILED):
            lot.reopen()
            save_transition(lot, "failure_reason")
    else:
        project.announce(today)
    save_transition(project, "tender_round", "tender_issued_on")
    lots = list(project.lots.filter(state=LotState.OPEN).select_related(*LOT_RELATED).order_by("number"))
    project.lots.filter(pk__in=[lot.pk for lot in lots]).update(tender_round=project.tender_round)
    for lot in lots:
        lot.tender_round = project.tender_round
    return {"round": project.tender_round, "issued_on": today.isoformat(), "lots": [_lot_data(lot) for lot in lots]}


@service("procurement.close_announcement")
def close_announcement(call):
    project = _project(call)
    project.close_announcement()
    save_transition(project)
    return clock.today_in_china().isoformat()


def _round_lots(project):
    return {lot.number: lot for lot in project.lots.filter(state=LotState.OPEN, tender_round=project.tender_round)
            .select_related("county")}


def _fail(lot, reason, *fields):
    """The lot fails; `fields` set on it before are written with it."""
    lot.fail(reason)
    save_transition(lot, *fields, "failure_reason")


@service("procurement.open_bids")
def open_bids(call):
    """Count the valid bids per lot of this round; a lot with fewer than `min_bidders` fails (废标). The
    decision table min_bidders gives that number (three, 政府采购法 36, unless the province decides otherwise)."""
    project = _project(call)
    lots = _round_lots(project)
    min_bidders = call.params.get("min_bidders")
    if not isinstance(min_bidders, int) or min_bidders < 1:
        raise ValueError(_("决策表给出的最少有效投标人数“%(n)s”不是正整数：请在决策表 min_bidders 中改正")
                         % {"n": min_bidders})
    suppliers = set(Office.objects.filter(kind=OfficeKind.SOCIAL_ORG).values_list("code", flat=True))
    bidders = {number: set() for number in lots}
    for row in call.params.get("bids") or []:
        lot = lots.get(row.get("lot_number"))
        price = _decimal_or_none(row.get("price"))
        # Not a bid at all: another lot, an unknown organisation, or a price over the lot's budget (87号令 63).
        if lot is None or row.get("social_org") not in suppliers or price is None or price > lot.budget:
            continue
        bidders[lot.number].add(row["social_org"])
    valid, failed = [], []
    for number, lot in sorted(lots.items()):
        lot.bidder_count = len(bidders[number])
        if lot.bidder_count < min_bidders:
            _fail(lot, _("有效投标人不足 %(n)s 家") % {"n": min_bidders}, "bidder_count")
            failed.append(number)
        else:
            lot.save(update_fields=["bidder_count"])
            valid.append(number)
    if valid:
        project.start_evaluation(clock.today_in_china())
    else:
        project.fail()
    save_transition(project, "bids_opened_on")
    return {"opened_on": clock.today_in_china().isoformat(), "valid_lots": valid, "failed_lots": failed}


def _decimal_or_none(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@service("procurement.record_evaluation")
def record_evaluation(call):
    """Keep the committee's ranking per lot; rank one is the recommended winner, no rank one fails the lot."""
    project = _project(call)
    lots = _round_lots(project)
    rows_by_lot = {}
    for row in call.params.get("ranking") or []:
        if row.get("lot_number") in lots:
            rows_by_lot.setdefault(row["lot_number"], []).append({
                "rank": row.get("rank"), "social_org": row.get("social_org"),
                "price": money(row.get("price") or 0), "score": str(row.get("score") or "")})
    names = dict(Office.objects.filter(kind=OfficeKind.SOCIAL_ORG).values_list("code", "name"))
    winners, failed = [], []
    for number, lot in sorted(lots.items()):
        ranking = sorted(rows_by_lot.get(number, []), key=lambda r: r["rank"] or 0)
        lot.ranking = ranking
        first = next((r for r in ranking if r["rank"] == 1 and r["social_org"] in names), None)
        if first is None:
            _fail(lot, _("评标委员会未推荐中标候选人"), "ranking")
            failed.append(number)
            continue
        lot.save(update_fields=["ranking"])
        winners.append({"lot": lot.pk, "lot_number": number, "county": lot.county.code,
                        "county_name": lot.county.name, "social_org": first["social_org"],
                        "social_org_name": names[first["social_org"]], "amount": first["price"]})
    if not winners:
        project.fail()
        save_transition(project)
    return {"reported_on": clock.today_in_china().isoformat(), "winners": winners, "failed_lots": failed}


@service("procurement.award")
def award(call):
    """The winners are decided: confirmed by the purchaser, or rank one deemed the winner (实施条例 43)."""
    project = _project(call)
    deemed = bool(call.params.get("deemed"))
    winners = call.params["winners"]
    offices = {o.code: o for o in Office.objects.filter(kind=OfficeKind.SOCIAL_ORG,
                                                        code__in=[w.get("social_org") for w in winners])}
    lots = project.lots.in_bulk([w.get("lot") for w in winners])
    for winner in winners:
        lot = lots.get(Lot._meta.pk.to_python(winner["lot"]))
        if lot is None:
            raise Lot.DoesNotExist("Lot matching query does not exist.")
        lot.award(offices[winner["social_org"]], Decimal(winner["amount"]), deemed)
        save_transition(lot, "winner", "awarded_amount", "winner_deemed")
    project.award()
    save_transition(project)
    return {"confirmed_on": clock.today_in_china().isoformat(), "deemed": deemed}


def award_payload(lot):
    return {"lot": lot.pk, "social_org": lot.winner.code, "amount": money(lot.awarded_amount),
            "award_notice_on": lot.award_notice_on.isoformat()}


def _correlation(lot):
    return {"county": lot.county.code, "year": lot.project.year}


@service("procurement.issue_notices")
def issue_notices(call):
    """Award notices issued today: each county of this round hears of its winner; the challenge window opens.
    A county whose earlier award was set aside waits with signing suspended: for it, signing resumes."""
    project = _project(call)
    today = clock.today_in_china()
    lots = project.lots.filter(state=LotState.AWARDED, tender_round=project.tender_round).select_related(
        "county", "winner", "project")
    for lot in lots:
        lot.issue_notice(today)
        save_transition(lot, "award_notice_on")
        message = RESUMED_MESSAGE if lot.set_aside_on else AWARD_MESSAGE
        api.send_message(message, _correlation(lot), award_payload(lot), actor=call.actor)
    announcement_ends = calendar.add_workdays(today, ANNOUNCEMENT_WORKDAYS)
    closes = calendar.add_workdays(announcement_ends, CHALLENGE_WORKDAYS)
    project.challenge_window_closes_at = closes.at
    project.save(update_fields=["challenge_window_closes_at"])
    return {"published_on": today.isoformat(), "announcement_ends": str(announcement_ends),
            "window_closes_at": str(closes)}


def pending(project):
    """(whether a challenge or complaint may still change a result, the next moment a challenger's complaint
    window closes or None). A challenge not judged harmless holds the procurement until answered, a complaint
    until decided, and every challenge until a complaint about it is no longer possible (政府采购法 55)."""
    challenges = Challenge.objects.filter(lot__project=project)
    held = (challenges.filter(state=ChallengeState.FILED).exclude(may_change_result=False).exists()
            or Complaint.objects.filter(challenge__lot__project=project).exclude(state=ComplaintState.DECIDED)
            .exists())
    next_close = challenges.filter(complaint__isnull=True, complaint_window_closes_at__gt=clock.now()).aggregate(
        first=Min("complaint_window_closes_at"))["first"]
    return held, next_close


@service("procurement.settle")
def settle(call):
    """After the round's challenge window, and again whenever what held the procurement changed: lots that failed
    or whose award was set aside go to a re-tender; else the procurement concludes once nothing may change a result.
    Returns what the diagram decides on and, while it waits, the next moment to look again (or "")."""
    project = _project(call)
    failed = list(project.lots.filter(state=LotState.FAILED).order_by("number").values_list("number", flat=True))
    if failed:
        project.fail()
        save_transition(project)
        return {"failed_lots": failed, "concluded": False, "recheck_at": ""}
    if project.state == ProjectState.AWARDED:
        project.settle()
        save_transition(project)
    held, next_close = pending(project)
    if not held and next_close is None:
        project.conclude()
        save_transition(project)
    return {"failed_lots": [], "concluded": project.state == ProjectState.CONCLUDED,
            "recheck_at": next_close.isoformat() if next_close else ""}


def tell_procurement(project, payload, actor=None):
    """Let the procurement look again at what holds it, if it is waiting on challenges and complaints (otherwise it
    looks when its round ends): `payload` says what changed."""
    if ProcurementProject.objects.select_for_update().filter(pk=project.pk, state=ProjectState.SETTLING).exists():
        api.send_message(SETTLEMENT_MESSAGE, settlement_correlation(project), payload, actor=actor)


def settlement_correlation(project):
    """What the project's procurement waits for news with: its year and its province."""
    return {"year": project.year, **({"province": project.province.code} if project.province_id else {})}


def signing_held(lot):
    """Whether a challenge that may change the result is unanswered, or a complaint's suspension stands."""
    return (Challenge.objects.filter(lot=lot, state=ChallengeState.FILED, may_change_result=True).exists()
            or Complaint.objects.filter(challenge__lot=lot, suspended_on__isnull=False,
                                        suspension_lifted_on__isnull=True).exists())


def suspend_signing(lot, reason, actor=None):
    """Stop the signing of an awarded lot and tell its county; a lot already suspended stays so."""
    if lot.state == LotState.AWARDED:
        lot.suspend()
        save_transition(lot)
        api.send_message(SUSPENDED_MESSAGE, _correlation(lot), {"reason": reason}, actor=actor)


def resume_signing(lot, actor=None):
    """Let the county sign again, with the lot's winner as it now stands, once nothing holds the lot any more."""
    if lot.state == LotState.SUSPENDED and not signing_held(lot):
        lot.resume()
        save_transition(lot)
        api.send_message(RESUMED_MESSAGE, _correlation(lot), award_payload(lot), actor=actor)


def set_aside(lot, reason, actor=None):
    """The lot's award is void: its county stops signing (it may have been signing) until the re-tender's award."""
    was_suspended = lot.state == LotState.SUSPENDED
    lot.set_aside(reason, clock.today_in_china())
    save_transition(lot, "failure_reason", "set_aside_on", "winner", "awarded_amount", "winner_deemed")
    if not was_suspended:
        api.send_message(SUSPENDED_MESSAGE, _correlation(lot), {"reason": reason}, actor=actor)
