"""A bidder files a challenge (质疑) against the award of a lot; the procurement instance handles it."""
from django.db import transaction
from django.utils.translation import gettext as _

from engine import api
from engine.api import clock
from engine.errors import InvalidInput, NotFound
from workflows.models import Office, OfficeKind

from .handlers import CHALLENGE_MESSAGE
from .models import Challenge, Lot, LotState


def file_challenge(lot_id, social_org, grounds, actor=None):
    """File the challenge of organisation `social_org` (office code) against lot `lot_id`; returns it.

    Refused (InvalidInput, in Chinese) outside the challenge window of the lot's award, by an
    organisation that is not a registered social organisation or that won the lot, or without grounds.
    """
    lot = Lot.objects.select_related("project", "county").filter(pk=lot_id).first()
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
    with transaction.atomic():
        challenge = Challenge.objects.create(lot=lot, filed_by=office, filed_on=clock.today_in_china(),
                                             grounds=grounds.strip())
        api.record_event("challenge.filed", instance=lot.project.process_instance, record=challenge,
                     to_state=challenge.state, data={"lot": lot.number, "grounds": challenge.grounds}, actor=actor)
        api.send_message(CHALLENGE_MESSAGE, {"year": lot.project.year}, {"challenge": challenge.pk}, actor=actor)
    return challenge
