"""Each province sees its own: two provinces' departments, bureaus and procurements on one database.

Guizhou (the home province, the conftest's tree) and a second province 北京 (division 110000) each have a
county with a filed plan. Each province procures apart, and neither province's offices see the other's
instances, procurement, challenges or tasks."""
import json

import pytest
from django.core.management import call_command

from engine import api
from engine.api import deploy, read_files
from engine.errors import InvalidInput
from engine.models import HumanTask, ProcessInstance
from restapi.permissions import may_start
from restapi.tokens import create_token
from webui.permissions import dashboard_prefectures
from workflows.models import Membership, Office, OfficeKind
from workflows.planning.models import AnnualPlan, PlanState
from workflows.procurement.launch import start_procurement
from workflows.procurement.models import Lot, ProcurementProject
from workflows.procurement.provinces import purchaser_named
from workflows.visibility import can_see_instance, instances_visible_to, offices_in_view, tasks_visible_to

from .conftest import BPMN_DIR
from .test_procurement import DIAGRAM, DIAGRAMS

pytestmark = pytest.mark.django_db

K = OfficeKind
YEAR = 2027


@pytest.fixture
def nation(offices, django_user_model):
    """The conftest's Guizhou plus 北京 with its finance department, a prefecture, a county and a station."""
    beijing = Office.objects.create(code="bj", name="北京市民政局", kind=K.PROVINCE_CIVIL_AFFAIRS, region="110000")
    Office.objects.create(code="bj-fin", name="北京市财政局", kind=K.PROVINCE_FINANCE, region="110000")
    city = Office.objects.create(code="1101", name="北京市辖区", kind=K.PREFECTURE_BUREAU, parent=beijing)
    county = Office.objects.create(code="110101", name="东城区民政局", kind=K.COUNTY_BUREAU, parent=city)
    Office.objects.create(code="110101001", name="东华门街道社工站", kind=K.STATION, parent=county)
    for code in ("bj", "bj-fin", "1101", "110101", "110101001"):
        user = django_user_model.objects.create_user(code, password="pw")
        Membership.objects.create(user=user, office=Office.objects.get(code=code), is_supervisor=True)
        offices[code] = user
    return offices


@pytest.fixture
def work(nation, deploy_bpmn):
    deploy_bpmn("office_work.bpmn")
    start = api.start
    return {
        "nanming": start("county_work", "a", {"county": "520102", "social_org": "org1"}).instance,
        "dongcheng": start("county_work", "b", {"county": "110101", "station": "110101001",
                                                "social_org": "org1"}).instance,
        "gz_wide": start("province_work", "c", {"year": YEAR, "province": "gz"}).instance,
        "bj_wide": start("province_work", "d", {"year": YEAR, "province": "bj"}).instance,
        "bj_challenge": start("province_work", "e", {"year": YEAR, "purchaser": "bj", "social_org": "org1"}).instance,
        "unnamed": start("province_work", "f", {"year": YEAR}).instance,
    }


EXPECTED = {
    "gz": {"nanming", "gz_wide", "unnamed"},
    "gz-fin": {"nanming", "gz_wide", "unnamed"},
    "5201": {"nanming", "gz_wide", "unnamed"},
    "bj": {"dongcheng", "bj_wide", "bj_challenge"},
    "bj-fin": {"dongcheng", "bj_wide", "bj_challenge"},
    "1101": {"dongcheng", "bj_wide"},
    "110101": {"dongcheng", "bj_wide"},
    "110101001": {"dongcheng"},
    "org1": {"nanming", "dongcheng", "bj_challenge"},
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_a_province_sees_its_own_instances_only(nation, work, username):
    user = nation[username]
    seen = set(instances_visible_to(user, ProcessInstance.objects.all()).values_list("pk", flat=True))
    assert {name for name, instance in work.items() if instance.pk in seen} == EXPECTED[username]
    for name, instance in work.items():
        assert can_see_instance(user, instance) == (name in EXPECTED[username]), name


def test_province_wide_tasks_go_to_the_named_province_and_stay_there(nation, work):
    bj_task = HumanTask.objects.get(instance=work["bj_wide"])
    assert bj_task.office == "bj"
    assert HumanTask.objects.get(instance=work["gz_wide"]).office == "gz"
    assert HumanTask.objects.get(instance=work["unnamed"]).office == "gz"
    assert work["bj_wide"].tenant == "110000" and work["gz_wide"].tenant == ""
    for username, sees in (("bj", True), ("1101", True), ("gz", False), ("5201", False)):
        assert tasks_visible_to(nation[username], HumanTask.objects.filter(pk=bj_task.pk)).exists() == sees, username


def test_filters_dashboards_and_starts_stay_in_the_province(nation):
    counties = set(offices_in_view(nation["bj"], K.COUNTY_BUREAU).values_list("code", flat=True))
    assert counties == {"110101"}
    assert set(offices_in_view(nation["gz-fin"], K.COUNTY_BUREAU).values_list("code", flat=True)) == {
        "520102", "520302"}
    assert set(dashboard_prefectures(nation["bj-fin"]).values_list("code", flat=True)) == {"1101"}
    assert may_start(nation["bj"], {"county": "110101"}) and not may_start(nation["bj"], {"county": "520102"})
    assert may_start(nation["bj"], {"year": YEAR}) and not may_start(nation["1101"], {"year": YEAR})


@pytest.fixture
def filed(nation):
    for county, budget in (("520102", "600000.00"), ("520302", "300000.00"), ("110101", "800000.00")):
        AnnualPlan.objects.create(county=Office.objects.get(code=county), year=YEAR, budget=budget, station_count=1,
                                  state=PlanState.FILED)
    bpmn, forms = read_files([DIAGRAM, *DIAGRAMS, BPMN_DIR / "county_award_standin.bpmn"])
    deploy(bpmn, forms)
    return nation


def test_each_province_procures_its_own_counties(filed, capsys):
    call_command("startprocurement", str(YEAR))
    out = capsys.readouterr().out
    assert f"started procurement-{YEAR}-110000" in out and f"started procurement-{YEAR} " in out
    home = ProcurementProject.objects.get(code=f"procurement-{YEAR}")
    beijing = ProcurementProject.objects.get(code=f"procurement-{YEAR}-110000")
    assert home.province.code == "gz" and beijing.province.code == "bj"
    assert sorted(Lot.objects.filter(project=home).values_list("county__code", flat=True)) == ["520102", "520302"]
    assert list(Lot.objects.filter(project=beijing).values_list("county__code", flat=True)) == ["110101"]
    # Its first task is the province's own, on the province's version, and out of the other's sight.
    task = HumanTask.objects.open().get(instance=beijing.process_instance)
    assert task.office == "bj" and beijing.process_instance.tenant == "110000"
    assert not can_see_instance(filed["gz"], beijing.process_instance)
    assert can_see_instance(filed["110101"], beijing.process_instance)
    assert purchaser_named(beijing) == {"purchaser": "bj"}
    # A second start of a province's year is refused; an office that is no province department is too.
    with pytest.raises(Exception, match="已经启动"):
        start_procurement(YEAR, province="bj")
    with pytest.raises(InvalidInput) as err:
        start_procurement(YEAR, province="1101")
    assert "province" in err.value.errors
    with pytest.raises(InvalidInput) as err:
        start_procurement(1999, province="bj")
    assert "2000 至 2100" in err.value.errors["year"]


def test_a_provinces_system_sends_messages_about_its_own_offices_only(nation, client):
    token = create_token("bj", "beijing-system")[1]

    def send(correlation, payload=None):
        return client.post("/api/v1/messages/", json.dumps({"name": "emergency_reported", "correlation": correlation,
                                                             "payload": payload or {}}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")

    assert send({"county": "520102"}).status_code == 403
    assert send({}, {"station": "520102-s1", "county": "110101"}).status_code == 403
    assert send({"county": "110101"}, {"station": "110101001"}).status_code == 202
    assert send({"year": YEAR}).status_code == 202, "a province's department sends province-wide news"
