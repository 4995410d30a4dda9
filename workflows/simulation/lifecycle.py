"""The year of the lifecycle as the simulation plays it: which counties take part, what starts when,
and what happens outside the diagrams (bidders' challenges and complaints, emergencies at stations)."""
from datetime import date, datetime, time, timedelta

from engine.api import calendar, clock
from workflows.directory import province_of
from workflows.models import Office, OfficeKind
from workflows.planning import launch as county_cycle
from workflows.planning.models import AnnualPlan, PlanState
from workflows.procurement import launch as procurement
from workflows.procurement.challenges import file_challenge
from workflows.procurement.complaints import file_complaint, window_open
from workflows.procurement.models import Challenge, Lot, LotState
from workflows.procurement.provinces import business_key
from workflows.service.emergencies import report_emergency
from workflows.service.models import DeploymentState, EmergencyKind, StationDeployment

from .runner import Happening, Start

EMERGENCY_SHARE = 0.1  # stations where an emergency happens during the service
CHALLENGE_GROUNDS = "评标过程中对我单位服务方案的评分存在错误，请求复核评审结果。"
COMPLAINT_GROUNDS = "采购人的质疑答复未回应评分错误的具体事实，请求财政部门调查处理。"
EMERGENCY_DESCRIPTION = "安置点突降暴雨，部分搬迁群众住房进水，需要心理疏导和生活保障支持。"


def choose_counties(station_count, rng, national=False):
    """{county code: [station codes]} holding `station_count` of Guizhou's sample stations, or with `national`
    of the synthetic nation's (workflows.national), counties in random order."""
    counties = list(Office.objects.filter(kind=OfficeKind.COUNTY_BUREAU, is_sample=True, is_synthetic=national)
                    .order_by("code").values_list("code", flat=True))
    stations_of = {}
    for code, county in Office.objects.filter(kind=OfficeKind.STATION, parent__code__in=counties).values_list(
            "code", "parent__code"):
        stations_of.setdefault(county, []).append(code)
    rng.shuffle(counties)
    chosen, left = {}, station_count
    for county in counties:
        if left <= 0:
            break
        stations = sorted(stations_of.get(county, []))[:left]
        if stations:
            chosen[county] = stations
            left -= len(stations)
    if left > 0:
        data = "the synthetic nation" if national else "the sample data"
        raise ValueError(f"{data} has only {station_count - left} stations, not {station_count}")
    return dict(sorted(chosen.items()))


def first_morning(year):
    """09:00 China time on the year's first working day."""
    day = calendar.add_workdays(date(year, 1, 1), 0).last_day
    return datetime.combine(day, time(9, 0), clock.CHINA)


def year_plan(year, counties, actors):
    """The starts and happenings of one year for these counties."""
    begin = first_morning(year)
    items = [Start(begin, county_cycle.PROCESS, county_cycle.business_key(year, county),
                   {"county": county, "year": year, "stations": stations})
             for county, stations in counties.items()]

    by_province = {}
    for county in counties:
        by_province.setdefault(province_of(county), []).append(county)
    # Each province procures once all its counties taking part have filed their plans.
    for province, its_counties in sorted(by_province.items()):
        def plans_filed(its_counties=its_counties):
            return AnnualPlan.objects.filter(year=year, county__code__in=its_counties,
                                             state=PlanState.FILED).count() == len(its_counties)

        items.append(Start(begin, procurement.PROCESS, business_key(year, province),
                           {"year": year, "province": province}, ready=plans_filed))
    if actors.rng.random() < actors.behaviour.challenge:
        # One challenge per complaint the finance department is to decide, each by another losing bidder.
        for number in range(max(1, len(actors.behaviour.complaint_outcomes))):
            items.append(_challenge(year, begin, actors, number))
        for number in range(len(actors.behaviour.complaint_outcomes)):
            items.append(_complaint(year, begin, actors, number))
    stations = [station for codes in counties.values() for station in codes]
    for station in actors.rng.sample(stations, round(len(stations) * EMERGENCY_SHARE)):
        items.append(_emergency(year, station, begin + timedelta(days=actors.rng.randint(150, 300)), actors))
    return items


def _challenge(year, begin, actors, number):
    """The `number`-th losing bidder (from 0) challenges the award of one lot while the challenge window is open."""
    def open_lot():
        return Lot.objects.filter(project__year=year, state=LotState.AWARDED, award_notice_on__isnull=False,
                                  project__challenge_window_closes_at__gt=clock.now()).order_by("number").first()

    def happen():
        lot = open_lot()
        challengers = set(Challenge.objects.filter(lot=lot).values_list("filed_by__code", flat=True))
        losers = [r["social_org"] for r in lot.ranking if r.get("social_org") not in (lot.winner.code, *challengers)]
        bidder = losers[0] if losers else Office.objects.filter(kind=OfficeKind.SOCIAL_ORG).exclude(
            pk=lot.winner_id).exclude(code__in=challengers).values_list("code", flat=True).first()
        file_challenge(lot.pk, bidder, CHALLENGE_GROUNDS, actor=actors.user_for(bidder))

    return Happening(begin, f"challenge-{year}-{number}", happen, ready=lambda: open_lot() is not None)


def _complaint(year, begin, actors, number):
    """The `number`-th challenger (from 0, by filing) complains once it may: answered, or the answer period over."""
    def challenge():
        challenges = Challenge.objects.filter(lot__project__year=year).order_by("pk")
        found = challenges[number:number + 1]
        return found[0] if found and window_open(found[0]) else None

    def happen():
        complained = challenge()
        org = complained.filed_by.code
        file_complaint(complained.pk, org, COMPLAINT_GROUNDS, actor=actors.user_for(org))

    return Happening(begin, f"complaint-{year}-{number}", happen, ready=lambda: challenge() is not None)


def _emergency(year, station, at, actors):
    """An emergency at a station once its social workers serve there."""
    def serving():
        return StationDeployment.objects.filter(station__code=station, agreement__year=year,
                                                state=DeploymentState.SERVING).exists()

    def happen():
        org = StationDeployment.objects.filter(station__code=station, agreement__year=year).values_list(
            "agreement__social_org__code", flat=True).first()
        report_emergency(station, year, actors.rng.choice(EmergencyKind.values), clock.today_in_china().isoformat(),
                         EMERGENCY_DESCRIPTION, actor=actors.user_for(org))

    return Happening(at, f"emergency-{station}", happen, ready=serving)
