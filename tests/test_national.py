"""The synthetic nation `manage.py loaddemo --national` generates for load tests, and lanes per province."""
import json
import re
from functools import partial

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from engine import api
from engine.extensions import get_directory
from engine.models import AuditEvent, HumanTask, ProcessInstance, TaskState
from workflows.directory import office_tree, province_of
from workflows.models import InstanceOffice, Membership, Office, OfficeKind
from workflows.national import PREFIX
from workflows.visibility import named_offices
from workflows.sample_data import FINANCE_CODE, PROVINCE_CODE

from .steps import command_output

pytestmark = pytest.mark.django_db

K = OfficeKind
loaddemo = partial(command_output, "loaddemo")


@pytest.fixture
def nation():
    return loaddemo("--password", "secret-1", "--national", "--stations", "2700", "--seed", "3")


@pytest.mark.parametrize("stations", ["0", "-5", "200001"])
def test_a_nation_out_of_bounds_is_refused_before_anything_is_loaded(stations):
    with pytest.raises(CommandError, match=f"^--stations: a synthetic nation has 1 to 200,000 stations, not {stations}$"):
        loaddemo("--password", "secret-1", "--national", "--stations", stations)
    assert not Office.objects.exists()


@pytest.mark.parametrize("options, named", [(["--stations", "100"], "--stations"), (["--history"], "--history"),
                                             (["--seed", "0", "--history"], "--seed, --history")])
def test_a_nations_options_without_national_are_refused_before_anything_is_loaded(options, named):
    with pytest.raises(CommandError, match=f"^{named}: only with --national"):
        loaddemo("--password", "secret-1", *options)
    assert not Office.objects.exists()


def count(kind):
    return Office.objects.filter(kind=kind, is_synthetic=True).count()


def test_proportions_of_the_national_programme(nation):
    assert (count(K.PROVINCE_CIVIL_AFFAIRS), count(K.PROVINCE_FINANCE)) == (2, 2)
    assert (count(K.PREFECTURE_BUREAU), count(K.COUNTY_BUREAU), count(K.STATION)) == (22, 189, 2700)
    assert count(K.SOCIAL_ORG) == 94
    assert "189 counties, 2700 stations" in nation
    # Guizhou's real sample is loaded beside it, unchanged and not synthetic.
    assert Office.objects.filter(is_synthetic=False, kind=K.STATION).count() == 64
    assert not Office.objects.filter(is_synthetic=True, is_sample=False).exists()


def test_division_codes_follow_the_pattern_and_are_marked(nation):
    for code, kind, parent, region in Office.objects.filter(is_synthetic=True).values_list(
            "code", "kind", "parent__code", "region"):
        assert code.startswith(PREFIX)
        if kind == K.PREFECTURE_BUREAU:
            assert re.fullmatch(r"syn-\d{4}", code) and region == code[4:] + "00"
            assert parent == f"{PREFIX}{code[4:6]}-civil-affairs"
        elif kind == K.COUNTY_BUREAU:
            assert re.fullmatch(r"syn-\d{6}", code) and region == code[4:] and parent == code[:8]
        elif kind == K.STATION:
            assert code.startswith(parent + "-s") and region == parent[4:]


def test_every_office_has_an_account_that_logs_in(nation):
    offices = Office.objects.filter(is_synthetic=True)
    assert Membership.objects.filter(office__in=offices, user__username=Office.objects.get(
        code="syn-110101-s01").code).exists()
    assert get_user_model().objects.filter(username__startswith=PREFIX).count() == offices.count()
    assert authenticate(RequestFactory().get("/"), username="syn-1101", password="secret-1") is not None


def test_generated_again_changes_nothing(nation):
    before = Office.objects.count()
    out = loaddemo("--national", "--stations", "2700", "--seed", "3")
    assert "0 offices created" in out and Office.objects.count() == before


def test_lanes_go_to_the_offices_of_the_instances_province(nation):
    directory = get_directory()
    county = Office.objects.filter(kind=K.COUNTY_BUREAU, code__startswith="syn-12").values_list(
        "code", flat=True).first()
    assert directory.office_for(K.PROVINCE_CIVIL_AFFAIRS, {"county": county}) == "syn-12-civil-affairs"
    assert directory.office_for(K.PROVINCE_FINANCE, {"station": county + "-s01"}) == "syn-12-finance"
    assert directory.office_for(K.PROVINCE_FINANCE, {"county": "520526"}) == FINANCE_CODE
    assert directory.office_for(K.PROVINCE_CIVIL_AFFAIRS, {"prefecture": "syn-1101"}) == "syn-11-civil-affairs"
    # An instance that names no office (the provincial procurement) keeps Guizhou's department.
    assert directory.office_for(K.PROVINCE_CIVIL_AFFAIRS, {}) == PROVINCE_CODE


@pytest.fixture
def history():
    return loaddemo("--password", "secret-1", "--national", "--stations", "40", "--seed", "2", "--history")


def test_history_copies_a_simulated_year_onto_every_synthetic_station_once(history):
    stations = set(Office.objects.filter(kind=K.STATION, is_synthetic=True).values_list("code", flat=True))
    copies = ProcessInstance.objects.filter(pk__in=InstanceOffice.objects.filter(
        office__startswith=PREFIX).values("instance_id"))
    served = {data.get("station") for data in copies.values_list("data", flat=True)}
    assert stations <= served
    assert HumanTask.objects.filter(instance__in=copies, state__in=TaskState.ACTIVE).exists()
    assert not HumanTask.objects.filter(instance__in=copies, office__in=["gz-civil-affairs", "520204"]).exists()
    # Beside them, each province's own instances, which name no office.
    assert 0 < copies.count() <= int(re.search(r"history: (\d+) instances", history)[1])
    # Each copy names only synthetic offices and its links agree with its data.
    for instance in copies:
        assert dict(InstanceOffice.objects.filter(instance=instance).values_list("key", "office")) == \
            named_offices(instance.data)
    assert not InstanceOffice.objects.filter(instance__in=copies).exclude(office="").exclude(
        office__startswith=PREFIX).exclude(key="evaluator").exists()

    # A copied task is claimed through the engine like any other.
    task = HumanTask.objects.filter(office__startswith=PREFIX, state=TaskState.OPEN).order_by("id").first()
    user = get_user_model().objects.get(username=task.office)
    api.claim(task.id, actor=user)
    task.refresh_from_db()
    assert task.assignee == user.get_username()
    assert AuditEvent.objects.filter(task_id=task.id, action="task.claim").exists()

    with pytest.raises(CommandError, match="history already"):
        loaddemo("--national", "--stations", "40", "--history")


def test_copies_name_the_offices_they_were_copied_to_by_code_and_by_name(history):
    template = Office.objects.filter(is_synthetic=False, kind__in=[K.PREFECTURE_BUREAU, K.COUNTY_BUREAU, K.STATION])
    codes, names = set(template.values_list("code", flat=True)), set(template.values_list("name", flat=True))
    copies = ProcessInstance.objects.filter(pk__in=InstanceOffice.objects.filter(
        office__startswith=PREFIX).values("instance_id"))
    for data in copies.values_list("data", flat=True):
        text = json.dumps(data, ensure_ascii=False)
        assert not codes & set(re.findall(r"[\w-]+", text)) and not [name for name in names if name in text]
    # A province's procurement tenders lots of its own counties, named as they are.
    procurements = copies.filter(version__definition__key="provincial_procurement")
    assert procurements.exists()
    tree = office_tree()
    county_names = dict(Office.objects.filter(kind=K.COUNTY_BUREAU).values_list("code", "name"))
    for procurement in procurements:
        for lot in procurement.data["lots"]:
            assert province_of(lot["county"]) == procurement.data["province"] and \
                lot["county_name"] == county_names[lot["county"]] and lot["county"] in tree["paths"]


def test_pages_filter_a_nation_by_office_and_keep_to_the_users_province(history, client):
    """Filters by prefecture, county and station read the instances' office links; a province's
    departments watch their own province's prefectures."""
    province = get_user_model().objects.get(username=f"{PREFIX}11-civil-affairs")
    client.force_login(province)
    page = client.get("/dashboard/").content.decode()
    own = Office.objects.filter(kind=K.PREFECTURE_BUREAU, path__startswith=f"/{PREFIX}11-civil-affairs/")
    other = Office.objects.filter(kind=K.PREFECTURE_BUREAU).exclude(pk__in=own)  # Guizhou's among them
    assert own.exists() and other.exists()
    assert all(f'value="{p.code}"' in page for p in own)
    assert not any(f'value="{p.code}"' in page for p in other)
    assert client.get(f"/dashboard/?prefecture={other[0].code}").status_code == 403
    assert client.get(f"/dashboard/?prefecture={own[0].code}").status_code == 200

    prefecture = own[0]
    inside = {o.code for o in Office.objects.filter(path__startswith=prefecture.path)}
    page = client.get(f"/instances/?prefecture={prefecture.code}").content.decode()
    listed = set(re.findall(r'href="/instances/([0-9a-f-]{36})/"', page))
    assert listed
    for instance in ProcessInstance.objects.filter(pk__in=listed):
        assert inside & set(named_offices(instance.data).values())

    # A county's open task in one of its stations' instances, found again by the inbox's station filter.
    task = HumanTask.objects.filter(office__startswith=PREFIX, state=TaskState.OPEN,
                                    instance__data__has_key="station").order_by("id").first()
    station = task.instance.data["station"]
    client.force_login(get_user_model().objects.get(username=task.office))
    page = client.get(f"/?tab=unclaimed&station={station}").content.decode()
    listed = set(re.findall(r'href="/tasks/([0-9a-f-]{36})/"', page))
    assert str(task.pk) in listed
    assert {HumanTask.objects.get(pk=pk).instance.data.get("station") for pk in listed} == {station}


def test_the_office_tree_is_read_again_only_when_an_office_changed(db, django_assert_num_queries):
    """Another process's change is seen from the count and the latest change; nothing changed, nothing read."""
    from workflows import directory

    loaddemo("--password", "secret-1")
    directory.office_tree()
    directory._tree["read_at"] -= directory.TREE_SECONDS  # a minute later
    with django_assert_num_queries(1) as asked:
        directory.office_tree()
    assert "COUNT(" in asked.captured_queries[0]["sql"].upper(), "the stamp, not the tree"
    # Another process moves a station to another county (no signal reaches this one), then adds an office.
    station = Office.objects.filter(kind=K.STATION, parent__code="520526").first()
    Office.objects.filter(pk=station.pk).update(parent=Office.objects.get(code="520527"), changed_at=timezone.now())
    directory._tree["read_at"] -= directory.TREE_SECONDS
    assert directory.office_tree()["parents"][station.code] == "520527"
    Office.objects.bulk_create([Office(code="5299", name="新市", kind=K.PREFECTURE_BUREAU, path="/5299/")])
    directory._tree["read_at"] -= directory.TREE_SECONDS
    assert "5299" in directory.office_tree()["kinds"]


def test_pages_name_offices_from_what_the_process_keeps_and_see_renames(db, django_assert_num_queries):
    """Named without a query while nothing changed; a rename seen at once in this process and within the minute
    from another; an office this process does not know yet looked up."""
    from webui.offices import office_names
    from workflows import directory

    loaddemo("--password", "secret-1")
    demo = dict(Office.objects.filter(code__in=["520526", "5205"]).values_list("code", "name"))
    office_names(["520526"])
    with django_assert_num_queries(0):
        assert office_names(["520526", "5205", "", None]) == demo
    county = Office.objects.get(code="520526")
    county.name = "威宁县民政局（更名）"
    county.save()
    assert office_names(["520526"]) == {"520526": "威宁县民政局（更名）"}
    # Another process renames it back (no signal reaches this one), then adds an office.
    Office.objects.filter(code="520526").update(name=demo["520526"], changed_at=timezone.now())
    directory._tree["read_at"] -= directory.TREE_SECONDS
    assert office_names(["520526"]) == {"520526": demo["520526"]}
    Office.objects.bulk_create([Office(code="5299", name="新市民政局", kind=K.PREFECTURE_BUREAU, path="/5299/")])
    assert office_names(["5299", "520526"]) == {"5299": "新市民政局", "520526": demo["520526"]}


def test_copies_are_known_by_business_keys_of_the_offices_they_were_copied_to(history):
    from workflows.planning.launch import cycles_to_start
    from workflows.procurement.provinces import business_key as procurement_key

    keys = {}
    for process, key, data in ProcessInstance.objects.values_list("version__definition__key", "business_key", "data"):
        keys.setdefault(process, []).append(key)
        if process == "county_annual_cycle":
            assert key == f"county-{data['year']}-{data['county']}"
        elif process == "station_service":
            assert key == f"station-{data['year']}-{data['station']}"
        elif process == "provincial_procurement":
            assert key == procurement_key(data["year"], data["province"])
    for process in ("county_annual_cycle", "station_service", "provincial_procurement", "procurement_challenge"):
        assert keys[process] and len(set(keys[process])) == len(keys[process]), process
    # The year so far is every synthetic county's; Guizhou's own counties may still start theirs.
    year = ProcessInstance.objects.values_list("data__year", flat=True).first()
    pending = {cycle["county"] for cycle in cycles_to_start(year)}
    synthetic = set(Office.objects.filter(kind=K.COUNTY_BUREAU, is_synthetic=True).values_list("code", flat=True))
    guizhou = set(Office.objects.filter(kind=K.COUNTY_BUREAU, is_synthetic=False, children__kind=K.STATION)
                  .values_list("code", flat=True))
    assert not pending & synthetic and guizhou <= pending


def test_history_copies_the_lifecycle_records_with_their_instances(history, client):
    from workflows.planning.models import AnnualPlan, ServiceAgreement
    from workflows.procurement.models import Lot, ProcurementProject
    from workflows.service.models import ServiceReport, StationDeployment

    assert int(re.search(r"(\d+) records", history)[1]) > 0
    counties = set(Office.objects.filter(kind=K.COUNTY_BUREAU, is_synthetic=True).values_list("code", flat=True))
    stations = Office.objects.filter(kind=K.STATION, is_synthetic=True)
    # Each county's plan and agreement, each station's deployment, with the instance they were copied with.
    for model in (AnnualPlan, ServiceAgreement):
        copies = model.objects.filter(county__code__in=counties)
        assert {code for code, in copies.values_list("county__code")} == counties, model
        for county, year, key in copies.values_list("county__code", "year", "process_instance__business_key"):
            assert key == f"county-{year}-{county}"
    deployments = StationDeployment.objects.filter(station__in=stations)
    assert deployments.count() == stations.count()
    for station, parent, county, key in deployments.values_list(
            "station__code", "station__parent__code", "agreement__county__code", "process_instance__business_key"):
        assert county == parent and key.startswith("station-") and key.endswith(f"-{station}")
    assert ServiceReport.objects.filter(deployment__in=deployments).exists()
    # An agreement's lot is its own county's, in its own province's procurement.
    agreements = ServiceAgreement.objects.filter(county__code__in=counties)
    for county, lot_county, province in agreements.exclude(lot=None).values_list(
            "county__code", "lot__county__code", "lot__project__province__code"):
        assert lot_county == county and province == province_of(county)
    assert ProcurementProject.objects.filter(province__code__startswith=PREFIX).exists()
    assert not Lot.objects.filter(project__province__code__startswith=PREFIX).exclude(
        county__code__startswith=PREFIX).exists()
    # The records were written with ids of their own: those created next come after them.
    last = AnnualPlan.objects.order_by("-pk").first()
    created = AnnualPlan.objects.create(county=last.county, year=last.year + 1)
    assert created.pk > last.pk
    # The province's dashboard shows its stations where their records stand.
    client.force_login(get_user_model().objects.get(username=f"{PREFIX}11-civil-affairs"))
    phases = client.get("/dashboard/").context["phase_rows"]
    assert sum(counts[0] for _name, counts in phases) < sum(sum(counts) for _name, counts in phases)


def test_each_county_of_a_history_has_organisations_of_its_own(db):
    """The simulated year's winners may be synthetic organisations: they are mapped for each county like the
    sample's, not named by every county's copies alike."""
    from workflows.planning.models import ServiceAgreement

    loaddemo("--password", "secret-1", "--national", "--stations", "300", "--seed", "2", "--history")
    cycles = ProcessInstance.objects.filter(version__definition__key="county_annual_cycle",
                                            data__county__startswith=PREFIX)
    named = {data["county"]: data.get("social_org") for data in cycles.values_list("data", flat=True)}
    assert len(named) == Office.objects.filter(kind=K.COUNTY_BUREAU, is_synthetic=True).count() == 21
    assert len(set(named.values())) >= 5  # of the nation's 10, drawn for each county
    for county, org in ServiceAgreement.objects.filter(county__code__in=named).values_list(
            "county__code", "social_org__code"):
        assert org == named[county]


def test_the_organisations_a_simulated_year_names_are_found_wherever_it_names_them(db):
    from workflows.national import RECORDS, _named_orgs
    from workflows.planning.models import ServiceAgreement

    loaddemo("--password", "secret-1", "--national", "--stations", "100")
    tree = office_tree()
    orgs = sorted(code for code, kind in tree["kinds"].items() if kind == K.SOCIAL_ORG)
    synthetic = [code for code in orgs if code.startswith(PREFIX)]
    assert len(synthetic) >= 3
    county = next(code for code, kind in sorted(tree["kinds"].items()) if kind == K.COUNTY_BUREAU)
    templates = {
        ProcessInstance: [{"data": {"lots": [{"bidders": [synthetic[0], county]}], "county": county}}],
        HumanTask: [{"data": {"winner": synthetic[1]}}],
        RECORDS: {"id": [(ServiceAgreement, {"id": 1, "social_org_id": Office.objects.get(code=synthetic[2]).pk,
                                             "county_id": Office.objects.get(code=county).pk,
                                             "number": county, "lot_id": None})]}}
    assert _named_orgs(templates, tree["kinds"]) == set(synthetic[:3])
