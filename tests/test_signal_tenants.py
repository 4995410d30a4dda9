"""A signal stays in its tenant: thrown by an instance or sent for a tenant, it reaches that tenant's waiting
instances and starts processes for it alone; a sender bound to no tenant reaches them all. Through the REST API a
province's system reaches its own province, and an administrator every province.

Guizhou (the conftest's tree) is the home province: its offices and instances are of no tenant (""), and a
signal of its department reaches those. 北京 (division 110000) is a province with a tenant of its own."""
import json

import pytest

from engine import api
from engine.models import AuditEvent, HumanTask, Message, ProcessInstance
from restapi.tokens import create_token
from workflows.models import Membership, Office, OfficeKind

from .conftest import BPMN_DIR
from .steps import command_output

# Broadcasts run once the throwing step commits.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BJ = "110000"
K = OfficeKind


@pytest.fixture
def nation(offices, deploy_bpmn, django_user_model):
    """The conftest's Guizhou and 北京's department, county and station; signals.bpmn deployed for both."""
    beijing = Office.objects.create(code="bj", name="北京市民政局", kind=K.PROVINCE_CIVIL_AFFAIRS, region=BJ)
    city = Office.objects.create(code="1101", name="北京市辖区", kind=K.PREFECTURE_BUREAU, parent=beijing)
    county = Office.objects.create(code="110101", name="东城区民政局", kind=K.COUNTY_BUREAU, parent=city)
    Office.objects.create(code="110101001", name="东华门街道社工站", kind=K.STATION, parent=county)
    offices["bj"] = django_user_model.objects.create_user("bj", password="pw")
    Membership.objects.create(user=offices["bj"], office=beijing)
    deploy_bpmn("signals.bpmn")
    return offices


def waiting(station, key):
    return api.start("station_wait", key, {"station": station} if station else {}).instance


def caught(instance):
    return HumanTask.objects.filter(instance=instance, bpmn_id="w_study").exists()


def test_an_instance_signals_the_instances_of_its_tenant_only(nation):
    guizhou, beijing = waiting("520102", "gz-1"), waiting("110101001", "bj-1")
    thrower = api.start("notify", "notice-bj", {"province": "bj"}).instance
    assert thrower.tenant == BJ
    assert caught(beijing) and not caught(guizhou)
    assert Message.objects.get(kind="signal", sender_instance=thrower).tenant == BJ

    later = waiting("110101001", "bj-2")
    api.start("notify", "notice-gz", {})
    assert caught(guizhou) and not caught(later)


def test_a_sender_bound_to_no_tenant_reaches_every_tenant(nation):
    first = [waiting("520102", "gz-1"), waiting("110101001", "bj-1")]
    signal = api.send_signal("政策通知", {"notice": "试行"})  # the system, as the command line sends it
    assert signal.tenant is None and all(caught(instance) for instance in first)
    assert AuditEvent.objects.get(action="signal.thrown", data__signal=str(signal.pk)).data["tenant"] is None

    second = [waiting("520102", "gz-2"), waiting("110101001", "bj-2")]
    api.send_signal("政策通知", {"notice": "试行"}, tenant=BJ)  # an engine caller names the tenant
    assert [caught(instance) for instance in second] == [False, True]


def test_the_engine_takes_the_tenant_its_sender_is_bound_to(nation):
    guizhou, beijing = waiting("520102", "gz-1"), waiting("110101001", "bj-1")
    assert api.send_signal("政策通知", {"notice": "试行"}, actor=nation["bj"]).tenant == BJ
    assert caught(beijing) and not caught(guizhou)
    # Guizhou's department is bound to no tenant: left to the engine, it reaches every tenant, as the shared
    # versions' owner acts for any.
    later = waiting("110101001", "bj-2")
    assert api.send_signal("政策通知", {"notice": "试行"}, actor=nation["gz"]).tenant is None
    assert caught(guizhou) and caught(later)


def archives():
    return ProcessInstance.objects.filter(version__definition__key="policy_archive")


def test_a_signal_starts_processes_for_its_tenant_on_its_version(nation):
    own = (BPMN_DIR / "signals.bpmn").read_text(encoding="utf-8").replace(
        'archived = policy_notice["notice"]', 'archived = "北京：" + policy_notice["notice"]')
    [beijings] = [v for v in api.deploy({"signals.bpmn": own}, tenant=BJ).created
                  if v.definition.key == "policy_archive"]

    api.send_signal("政策通知", {"notice": "试行"}, actor=nation["bj"])
    [archive] = archives()
    assert (archive.tenant, archive.version_id) == (BJ, beijings.pk)
    assert archive.data["archived"] == "北京：试行"

    # The payload names a station of 北京, yet a signal of no tenant's instances starts one of those.
    api.send_signal("政策通知", {"notice": "试行", "station": "110101001"}, tenant="")
    home = archives().get(tenant="")
    assert home.tenant == "" and home.version.tenant == "" and home.data["archived"] == "试行"


def post_signal(client, token=None, payload=None, status=202):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    sent = client.post("/api/v1/signals/", json.dumps({"name": "政策通知", "payload": payload or {"notice": "试行"}}),
                       content_type="application/json", **headers)
    assert sent.status_code == status, sent.content
    return sent.json()


def test_a_provinces_system_signals_its_own_province_only(nation, client):
    guizhou, unnamed, beijing = waiting("520102", "gz-1"), waiting(None, "none-1"), waiting("110101001", "bj-1")
    assert (guizhou.tenant, unnamed.tenant, beijing.tenant) == ("", "", BJ)

    sent = post_signal(client, create_token("bj", "beijing-system")[1])
    assert sent["tenant"] == BJ and Message.objects.get(pk=sent["id"]).tenant == BJ
    assert caught(beijing) and not caught(guizhou) and not caught(unnamed)
    [archive] = archives()
    assert archive.tenant == BJ

    # Guizhou's department reaches Guizhou's instances, those that name no office included, and no other
    # province's, though it is bound to no tenant.
    later = waiting("110101001", "bj-2")
    sent = post_signal(client, create_token("gz", "guizhou-system")[1])
    assert sent["tenant"] == ""
    assert caught(guizhou) and caught(unnamed) and not caught(later)
    assert archives().get(tenant="").version.tenant == ""


def test_an_administrator_signals_every_province(nation, client, django_user_model):
    instances = [waiting("520102", "gz-1"), waiting("110101001", "bj-1")]
    client.force_login(django_user_model.objects.create_superuser("admin", password="pw"))
    assert post_signal(client)["tenant"] is None
    assert all(caught(instance) for instance in instances)


def test_a_provinces_signal_names_offices_in_its_charge_only(nation, client):
    """What it starts takes its payload as data: a station of another province there would be given its work."""
    token = create_token("bj", "beijing-system")[1]
    refused = post_signal(client, token, {"notice": "试行", "station": "520102"}, status=403)
    assert "管辖范围" in refused["detail"]
    english = client.post("/api/v1/signals/", json.dumps({"name": "政策通知", "payload": {"county": "520102"}}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 403 and "within your office's charge" in english.json()["detail"]
    assert not archives().exists() and not Message.objects.filter(kind="signal").exists()
    post_signal(client, token, {"notice": "试行", "station": "110101001"})
    assert archives().get().data["station"] == "110101001"


def test_a_message_starts_its_process_on_the_version_of_the_province_it_names(nation):
    from .test_message_start import ON_REPORT

    api.deploy({"on_report.bpmn": ON_REPORT})
    own = ON_REPORT.replace('seen = report["station"]', 'seen = "北京：" + report["station"]')
    [beijings] = api.deploy({"on_report.bpmn": own}, tenant=BJ).created
    api.send_message("emergency_reported", {"station": "110101001"}, {"station": "110101001"})
    api.send_message("emergency_reported", {"station": "520102"}, {"station": "520102"})
    started = {i.tenant: i for i in ProcessInstance.objects.filter(version__definition__key="on_report")}
    assert started[BJ].version_id == beijings.pk and started[BJ].data["seen"] == "北京：110101001"
    assert started[""].version.tenant == "" and started[""].data["seen"] == "520102"


def test_the_command_line_throws_for_one_tenant_when_told(nation):
    from django.core.management.base import CommandError

    guizhou, beijing = waiting("520102", "gz-1"), waiting("110101001", "bj-1")
    sent = json.loads(command_output("bpmn", "signal", "政策通知", "--data", '{"notice": "试行"}', "--tenant", BJ,
                                     "--json"))
    # Each time the waiting instance and the archive the signal starts.
    assert (sent["tenant"], sent["caught_by"]) == (BJ, 2) and caught(beijing) and not caught(guizhou)
    assert "reached 2 instance(s)" in command_output("bpmn", "signal", "政策通知", "--tenant", "")  # Guizhou's
    assert caught(guizhou) and archives().filter(tenant="").count() == 1
    with pytest.raises(CommandError, match="no tenant '990000'"):
        command_output("bpmn", "signal", "政策通知", "--tenant", "990000")
