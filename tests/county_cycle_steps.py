"""Playing a county's year through the engine's API, as the offices and the procurement do."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.models import HumanTask

from .uploads import uploaded

PRODUCT_BPMN = Path(__file__).resolve().parent.parent / "bpmn"
# A stand-in for the station service: one report task for the organisation.
STATION_STAND_IN = Path(__file__).parent / "bpmn" / "station_service.bpmn"

YEAR = 2026
MONDAY = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)  # 09:00 China time, a working Monday
GUIYANG_COUNTY, ZUNYI_COUNTY = "520102", "520302"

PLAN = {
    "background": "易地扶贫搬迁安置点新设街道，群众融入需求大。",
    "objectives": "每站配备不少于 2 名驻站社工，服务覆盖全部安置点。",
    "budget": "300000.00",
    "budget_lines": [{"item": "驻站社工薪酬", "category": "personnel", "amount": "240000.00"},
                     {"item": "社区活动", "category": "activity", "amount": "60000.00"}],
    "content_and_schedule": "1-2 月需求调研，3-12 月驻站服务。",
    "station_count": 2,
    "quality_standards": "每站有固定场所、服务台账与月报。",
    "evaluation_arrangements": "年末由省民政厅组织绩效评价。",
}


@pytest.fixture
def county_offices(offices, django_user_model):
    """The shared office tree plus two stations in 南明区, one in 红花岗区 and a second organisation."""
    from workflows.models import Membership, Office, OfficeKind

    for code, name, parent in (("520102-s1", "花果园社工站", GUIYANG_COUNTY), ("520102-s2", "中曹司社工站", GUIYANG_COUNTY),
                               ("520302-s1", "新蒲社工站", ZUNYI_COUNTY)):
        Office.objects.create(code=code, name=name, kind=OfficeKind.STATION, parent=Office.objects.get(code=parent))
    org2 = Office.objects.create(code="org2", name="遵义同心社会工作服务中心", kind=OfficeKind.SOCIAL_ORG)
    user = django_user_model.objects.create_user("org2", password="pw")
    Membership.objects.create(user=user, office=org2, is_supervisor=True)
    return {**offices, "org2": user}


@pytest.fixture
def lifecycle(db):
    """The county cycle and the evaluation deployed from bpmn/, with the station service stand-in."""
    clock.set_time(MONDAY)
    bpmn, forms = read_files([PRODUCT_BPMN / "county_annual_cycle.bpmn", PRODUCT_BPMN / "performance_evaluation.bpmn",
                              STATION_STAND_IN])
    return deploy(bpmn, forms, note="test")


def start_cycle(county=GUIYANG_COUNTY, year=YEAR, stations=("520102-s1", "520102-s2")):
    return api.start("county_annual_cycle", business_key=f"county-{year}-{county}",
                     data={"county": county, "year": year, "stations": list(stations)}).instance


def open_tasks(instance):
    """Open tasks of the instance by BPMN id (the latest when an element is open twice)."""
    return {t.bpmn_id: t for t in HumanTask.objects.filter(instance=instance, state__in=["open", "claimed"])
            .order_by("created_at")}


def complete(instance, bpmn_id, user, data=None):
    task = open_tasks(instance)[bpmn_id]
    return api.complete_task(task.id, data or {}, actor=user).task


def plan_filed(instance, users, county=GUIYANG_COUNTY, prefecture="5201"):
    complete(instance, "write_plan", users[county], PLAN)
    complete(instance, "review_plan", users[prefecture], {"decision": "approve"})
    complete(instance, "file_plan", users["gz"], {"decision": "approve", "filing_number": f"备{YEAR}-1"})


def send(captured, name, county=GUIYANG_COUNTY, year=YEAR, **payload):
    """Send a message as the procurement or the service does; delivery runs after the commit."""
    with captured(execute=True):
        return api.send_message(name, {"county": county, "year": year}, {"county": county, "year": year, **payload})


def award(captured, county=GUIYANG_COUNTY, year=YEAR, social_org="org1", amount="298000.00",
          award_notice_on="2026-03-02", lot=None, name="procurement_award"):
    return send(captured, name, county, year, lot=lot, social_org=social_org, amount=amount,
                award_notice_on=award_notice_on)


def sign(instance, users, signed_on="2026-03-10", county=GUIYANG_COUNTY):
    complete(instance, "sign_agreement", users[county], {
        "agreement_number": "NM-2026-01", "signed_on": signed_on, "term_start": "2026-04-01",
        "term_end": "2027-03-31",
        "signed_agreement": uploaded(open_tasks(instance)["sign_agreement"], "服务协议.pdf")})


def publish_and_file(instance, users, county=GUIYANG_COUNTY):
    complete(instance, "publish_agreement", users[county],
             {"published_on": "2026-03-11", "publication": "中国贵州政府采购网"})
    complete(instance, "file_agreement", users[county],
             {"agreement_filed_on": "2026-03-13", "agreement_filing_number": "财备-2026-08"})


def in_service(users, captured):
    """A county cycle played to its agreement's filing: its station services started."""
    instance = start_cycle()
    plan_filed(instance, users)
    award(captured)
    sign(instance, users)
    publish_and_file(instance, users)
    return instance
