"""Challenges (质疑): a bidder files one against the award of a lot; each runs in its own procurement_challenge
instance, so the procurement never waits on a challenge's tasks, only on what may still change a result."""
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from engine import api
from engine.api import calendar, clock
from engine.errors import InvalidInput, NotFound
from engine.extensions import service
from workflows.models import Office, OfficeKind
from workflows.records import save_transition

from .handlers import money, resume_signing, suspend_signing, tell_procurement
from .models import Challenge, Lot, LotState
from .provinces import purchaser_named

PROCESS = "procurement_challenge"
ANSWER_WORKDAYS = 7  # the purchaser answers within 7 working days of receipt (政府采购法 53)
COMPLAINT_WORKDAYS = 15  # a complaint within 15 working days after the answer period ends (政府采购法 55)


def business_key(challenge):
    return f"challenge-{challenge.lot.project.year}-{challenge.pk}"


def file_challenge(lot_id, social_org, grounds, actor=None):
    """File the challenge of organisation `social_org` (office code) against lot `lot_id` and start its
    procurement_challenge instance; returns the challenge.

    Refused (InvalidInput, in Chinese) outside the challenge window of the lot's award, by an
    organisation that is not a registered social organisation or that won the lot, or without grounds.
    """
    lot = Lot.objects.select_related("project__province", "county").filter(pk=lot_id).first()
    if lot is None:
        raise NotFound(f"no lot {lot_id!r}")
    office = Office.objects.filter(code=social_org, kind=OfficeKind.SOCIAL_ORG).first()
    if office is None:
        raise InvalidInput({"social_org": _("%(code)s 不是登记的承接社会组织，不能提出质疑") % {"code": social_org}})
    if not (grounds or "").strip():
        raise InvalidInput({"grounds": _("请写明质疑事项和理由")})
    if lot.winner_id == office.pk:
        raise InvalidInput({"social_org": _("%(name)s 是第 %(n)s 标段的中标人，不能对本标段的中标结果提出质疑") % {
            "name": office.name, "n": lot.number}})
    closes = lot.project.challenge_window_closes_at
    if lot.state not in (LotState.AWARDED, LotState.SUSPENDED) or lot.award_notice_on is None or closes is None:
        raise InvalidInput({"lot": _("第 %(n)s 标段尚未公告中标结果，不能提出质疑") % {"n": lot.number}})
    if clock.now() >= closes:
        raise InvalidInput({"lot": _("第 %(n)s 标段的质疑期已于 %(when)s 届满") % {
            "n": lot.number, "when": f"{closes.astimezone(clock.CHINA):%Y-%m-%d %H:%M}"}})
    today = clock.today_in_china()
    answer_due = calendar.add_workdays(today, ANSWER_WORKDAYS)
    with transaction.atomic():
        challenge = Challenge.objects.create(
            lot=lot, filed_by=office, filed_on=today, grounds=grounds.strip(), answer_due_at=answer_due.at,
            complaint_window_closes_at=calendar.add_workdays(answer_due.last_day, COMPLAINT_WORKDAYS).at)
        # The challenger's code names its instance's supplier lane and lets it see its own challenge.
        instance = api.start(PROCESS, business_key=business_key(challenge), actor=actor, data={
            "year": lot.project.year, "challenge": challenge.pk, "social_org": office.code,
            **purchaser_named(lot.project)},
            parent=lot.project.process_instance).instance
        challenge.process_instance = instance  # as its first step recorded it
        api.record_event("challenge.filed", instance=instance, record=challenge, to_state=challenge.state,
                         data={"lot": lot.number, "grounds": challenge.grounds}, actor=actor)
    return challenge


def _challenge(call):
    """The challenge the instance handles; the instance's first step ties the two together."""
    challenge = Challenge.objects.select_related(
        "lot__project__process_instance", "lot__county", "lot__winner", "filed_by").filter(
        pk=call.params.get("challenge")).first()
    if challenge is None or challenge.process_instance_id not in (None, call.instance.pk):
        raise NotFound(f"{call.element}: no challenge {call.params.get('challenge')!r} handled by this instance")
    unlinked = challenge.process_instance_id is None
    challenge.process_instance = call.instance  # its audit rows name the instance without a query
    if unlinked:
        challenge.save(update_fields=["process_instance"])
    return challenge


@service("procurement.receive_challenge")
def receive_challenge(call):
    """What the purchaser needs to handle a challenge, with the lot's ranked bidders as possible winners."""
    challenge = _challenge(call)
    lot = challenge.lot
    names = dict(Office.objects.filter(kind=OfficeKind.SOCIAL_ORG).values_list("code", "name"))
    return {
        "challenge": challenge.pk, "lot": lot.pk, "lot_number": lot.number, "county": lot.county.code,
        "county_name": lot.county.name, "filed_by": challenge.filed_by.code,
        "filed_by_name": challenge.filed_by.name, "filed_on": challenge.filed_on.isoformat(),
        "complaint_until": f"{challenge.complaint_window_closes_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M}",
        "grounds": challenge.grounds, "winner": lot.winner.code if lot.winner else "",
        "amount": money(lot.awarded_amount) if lot.awarded_amount is not None else "",
        "candidates": [{"label": f"{r['rank']}. {names.get(r['social_org'], r['social_org'])}（{r['price']} 元）",
                        "value": r["social_org"]} for r in lot.ranking],
    }


@service("procurement.assess_challenge")
def assess_challenge(call):
    """The purchaser judged whether the challenge may change the result; if so, signing stops (实施条例 54)."""
    challenge = _challenge(call)
    challenge.may_change_result = bool(call.params.get("may_change_result"))
    challenge.save(update_fields=["may_change_result"])
    if challenge.may_change_result:
        reason = _("%(org)s 对第 %(n)s 标段中标结果提出质疑，可能影响中标结果，暂停签订合同") % {
            "org": challenge.filed_by.name, "n": challenge.lot.number}
        suspend_signing(challenge.lot, reason, actor=call.actor)
    return challenge.lot.state == LotState.SUSPENDED


@service("procurement.answer_challenge")
def answer_challenge(call):
    """The answer is given; signing resumes unless something else still holds the lot, with another winner when
    the result changed; a procurement waiting on its challenges looks again."""
    challenge = _challenge(call)
    lot = challenge.lot
    today = clock.today_in_china()
    # The answer form offers the lot's ranked bidders only; naming the current winner changes nothing.
    row = next((r for r in lot.ranking if r["social_org"] == call.params.get("new_winner")), None)
    changed = (bool(call.params.get("result_changed")) and lot.state == LotState.SUSPENDED and row is not None
               and row["social_org"] != lot.winner.code)
    challenge.give_answer(call.params.get("answer") or "", today, changed)
    save_transition(challenge, "answer", "answered_on", "result_changed")
    if changed:
        lot.change_winner(Office.objects.get(code=row["social_org"]), Decimal(row["price"]), today)
        save_transition(lot, "winner", "awarded_amount", "award_notice_on")
    resume_signing(lot, actor=call.actor)
    tell_procurement(lot.project, {"challenge": challenge.pk}, actor=call.actor)
    return {"answered_on": today.isoformat(), "result_changed": changed}
