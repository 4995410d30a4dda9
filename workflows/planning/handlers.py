"""Service-task handlers of the county annual cycle and the performance evaluation, and its script function.

They keep the planning records in step with the processes: each moves a record
through one django-fsm transition (audited) and returns what the diagram stores
under the task's result variable. They run inside the instance's step, so a
record changes together with the process or not at all.
"""
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from engine import api
from engine.api import clock
from engine.extensions import form_check
from engine.extensions import script_function
from engine.extensions import service
from workflows.models import Office, OfficeKind
from workflows.procurement.models import Lot
from workflows.records import known_instance, save_transition
from workflows.service.models import StationDeployment

from .models import AnnualPlan, Evaluation, Grade, ServiceAgreement

# What the plan form submits and AnnualPlan keeps, field for field.
PLAN_TEXT_FIELDS = ("background", "objectives", "content_and_schedule", "quality_standards",
                    "evaluation_arrangements")


def _value(data, key, where):
    if key not in data:
        raise ValueError(_("%(where)s缺少“%(key)s”") % {"key": key, "where": where})
    return data[key]


def _day(data, key, where):
    value = _value(data, key, where)
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(_("%(where)s的“%(key)s”不是有效的日期（YYYY-MM-DD）：%(value)s")
                         % {"key": key, "value": value, "where": where}) from None


def _money(data, key, where):
    value = _value(data, key, where)
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValueError(_("%(where)s的“%(key)s”不是有效的金额：%(value)s")
                         % {"key": key, "value": value, "where": where}) from None


def _where(call):
    return _("环节 %(element)s 的流程数据") % {"element": call.element}


def _get(call, key):
    return _value(call.data, key, _where(call))


def _get_day(call, key):
    return _day(call.data, key, _where(call))


def _office(code, kind, what):
    office = Office.objects.filter(code=code, kind=kind).first()
    if office is None:
        raise ValueError(_("%(what)s“%(code)s”不存在") % {"what": what, "code": code})
    return office


def _county(call):
    return _office(_get(call, "county"), OfficeKind.COUNTY_BUREAU, _("县(市、区)民政局"))


def _plan(call):
    return known_instance(AnnualPlan.objects.get(pk=_get(call, "plan")), call.instance)


def _agreement(call, *related):
    """The agreement of the step; `related`: what to read with it (select_related)."""
    agreements = ServiceAgreement.objects.select_related(*related) if related else ServiceAgreement.objects
    return known_instance(agreements.get(pk=_get(call, "agreement")), call.instance)


def _evaluation(call):
    return known_instance(Evaluation.objects.get(pk=_get(call, "evaluation")), call.instance)


def _award_terms(call):
    """The winner, lot, amount and notice date of the award (or resumption) message in `award`."""
    award = _get(call, "award")
    where = _("中标消息")
    lot = award.get("lot")
    if lot is not None:
        lot = Lot.objects.filter(pk=lot).first()
        if lot is None:
            raise ValueError(_("%(where)s中的标段 %(lot)s 不存在") % {"where": where, "lot": award["lot"]})
    return {
        "social_org": _office(_value(award, "social_org", where), OfficeKind.SOCIAL_ORG, _("承接社会组织")),
        "lot": lot,
        "amount": _money(award, "amount", where),
        "award_notice_on": _day(award, "award_notice_on", where),
    }


@script_function()
def office_name(code):
    """The name of the office with this code, for forms that show an office (the county's plan reviews)."""
    office = Office.objects.filter(code=code).first()
    if office is None:
        raise ValueError(_("单位“%(code)s”不存在") % {"code": code})
    return office.name


# The annual plan

@service("planning.open_plan")
def open_plan(call):
    """Create this year's plan of the county, in draft; returns its id."""
    county, year = _county(call), _get(call, "year")
    if AnnualPlan.objects.filter(county=county, year=year).exists():
        raise ValueError(_("%(county)s %(year)s 年度计划已存在") % {"county": county.name, "year": year})
    plan = AnnualPlan.objects.create(county=county, year=year, station_count=len(call.data.get("stations") or []),
                                     process_instance=call.instance)
    return plan.pk


@service("planning.previous_evaluation")
def previous_evaluation(call):
    """Last year's concluded evaluation of the county, for the plan form to show; None if there is none."""
    evaluation = Evaluation.previous(_get(call, "county"), _get(call, "year"))
    return evaluation.result() if evaluation else None


def budget_lines_mismatch(budget, lines):
    """Why the budget lines do not add up to the budget, to the fen; None when they do."""
    total = sum((Decimal(str(row.get("amount") or 0)) for row in lines or ()), Decimal(0)).quantize(Decimal("0.01"))
    budget = Decimal(str(budget)).quantize(Decimal("0.01"))
    if total == budget:
        return None
    return _("预算明细合计 %(total)s 元，与预算总额 %(budget)s 元不一致（相差 %(difference)s 元）") % {
        "total": f"{total:,.2f}", "budget": f"{budget:,.2f}", "difference": f"{abs(total - budget):,.2f}"}


@form_check("annual_plan")
def plan_budget_adds_up(data):
    """The plan form's budget lines must add up to its budget exactly."""
    if data.get("budget") is None:
        return {}
    mismatch = budget_lines_mismatch(data["budget"], data.get("budget_lines"))
    return {"budget": mismatch} if mismatch else {}


@service("planning.submit_plan")
def submit_plan(call):
    plan = _plan(call)
    content = {name: call.data.get(name) or "" for name in PLAN_TEXT_FIELDS}
    content["budget"] = _money(call.data, "budget", _where(call))
    mismatch = budget_lines_mismatch(content["budget"], call.data.get("budget_lines"))
    if mismatch:  # the form refuses such a plan; data that bypassed it must not be recorded either
        raise ValueError(mismatch)
    content["station_count"] = _get(call, "station_count")
    content["budget_lines"] = [{"item": row.get("item", ""), "category": row.get("category", ""),
                                "amount": str(row.get("amount", ""))} for row in call.data.get("budget_lines") or []]
    plan.submit(content, clock.today_in_china())
    save_transition(plan, whole_row=True)
    return plan.submitted_on.isoformat()


@service("planning.return_plan")
def return_plan(call):
    """Back to the county with the reviewer's comment; returns how often the plan was returned."""
    plan = _plan(call)
    comment = call.data.get("comment") or ""
    plan.return_for_revision(comment, audit={"comment": comment} if comment else None)  # the history says why
    save_transition(plan, whole_row=True)
    return plan.returns


@service("planning.file_plan")
def file_plan(call):
    plan = _plan(call)
    plan.file(clock.today_in_china(), call.data.get("filing_number") or "")
    save_transition(plan, whole_row=True)
    return plan.filed_on.isoformat()


# The service agreement

@service("planning.open_agreement")
def open_agreement(call):
    """The agreement awaiting signature with the winner of the county's lot; returns its id."""
    agreement = ServiceAgreement.objects.create(county=_county(call), year=_get(call, "year"),
                                                process_instance=call.instance, **_award_terms(call))
    return agreement.pk


@service("planning.suspend_signing")
def suspend_signing(call):
    agreement = _agreement(call)
    agreement.suspend((call.data.get("suspension") or {}).get("reason") or "")
    return save_transition(agreement, whole_row=True)


@service("planning.resume_signing")
def resume_signing(call):
    agreement = _agreement(call)
    agreement.resume(**_award_terms(call))
    return save_transition(agreement, whole_row=True)


@service("planning.record_signing")
def record_signing(call):
    agreement = _agreement(call, "lot__project__process_instance")  # the lot's audit row names its instance
    agreement.sign(call.data.get("agreement_number") or "", _get_day(call, "signed_on"),
                   _get_day(call, "term_start"), _get_day(call, "term_end"), call.data.get("signed_agreement") or [])
    save_transition(agreement, whole_row=True)
    if agreement.lot is not None:
        # The procurement's lot is done once its agreement is signed.
        agreement.lot.sign()
        save_transition(agreement.lot, whole_row=True)
    return agreement.state


@service("planning.record_publication")
def record_publication(call):
    agreement = _agreement(call)
    agreement.publish(_get_day(call, "published_on"), call.data.get("publication") or "")
    return save_transition(agreement, whole_row=True)


@service("planning.record_agreement_filing")
def record_agreement_filing(call):
    agreement = _agreement(call)
    agreement.file(_get_day(call, "agreement_filed_on"), call.data.get("agreement_filing_number") or "")
    return save_transition(agreement, whole_row=True)


@service("start_station_services")
def start_station_services(call):
    """One deployment and one station_service instance per station of the county; returns the instance ids."""
    agreement = _agreement(call)
    year, county = agreement.year, agreement.county.code
    data = {"county": county, "year": year, "social_org": agreement.social_org.code, "agreement": agreement.pk,
            "signed_on": agreement.signed_on.isoformat(), "term_start": agreement.term_start.isoformat(),
            "term_end": agreement.term_end.isoformat()}
    started = []
    for code in _get(call, "stations"):
        station = _office(code, OfficeKind.STATION, _("社工站"))
        deployment = StationDeployment.objects.create(agreement=agreement, station=station)
        instance = api.start("station_service", business_key=f"station-{year}-{code}", data={**data, "station": code},
                             actor=call.actor, parent=call.instance).instance
        deployment.process_instance = instance
        deployment.save(update_fields=["process_instance"])
        started.append(str(instance.pk))
    agreement.start_service()
    save_transition(agreement, whole_row=True)
    return started


@service("planning.complete_agreement")
def complete_agreement(call):
    agreement = _agreement(call)
    agreement.complete()
    return save_transition(agreement, whole_row=True)


# The performance evaluation

@service("planning.open_evaluation")
def open_evaluation(call):
    evaluation = Evaluation.objects.create(county=_county(call), year=_get(call, "year"),
                                           agreement=_agreement(call), process_instance=call.instance)
    return evaluation.pk


@service("planning.record_findings")
def record_findings(call):
    evaluation = _evaluation(call)
    evaluation.record_findings(call.data.get("county_findings") or "", call.data.get("prefecture_findings") or "")
    return save_transition(evaluation, whole_row=True)


@service("planning.conclude_evaluation")
def conclude_evaluation(call):
    """Score (0-100, as the form enforces) and summary from the province, with the grade the decision table
    evaluation_grade gave for the score (`grade_name`). Returns the grade's code.
    """
    evaluation = _evaluation(call)
    grade = Grade.named(_get(call, "grade_name"))
    if grade is None:
        known = "、".join(str(g.label) for g in Grade)
        raise ValueError(_("决策表给出的等级“%(grade)s”不是已知等级（%(known)s）：请在决策表中改正")
                         % {"grade": call.data.get("grade_name"), "known": known})
    evaluation.conclude(Decimal(str(_get(call, "score"))), grade, call.data.get("evaluation_summary") or "",
                        clock.today_in_china())
    save_transition(evaluation, whole_row=True)
    return evaluation.grade
