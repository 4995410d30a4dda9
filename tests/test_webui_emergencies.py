"""Reporting an emergency from the web: the organisation holding a station's service, and nobody else."""
import pytest

from engine.models import HumanTask, ProcessInstance
from workflows.models import Membership, Office, OfficeKind
from workflows.service.models import StationDeployment

from .test_station_service import service, start  # noqa: F401  (service is a fixture)

pytestmark = pytest.mark.django_db

REPORT = {"kind": "natural_disaster", "occurred_on": "2025-12-10", "description": "暴雨引发山洪，安置点部分住户受灾。"}


@pytest.fixture
def running(service, offices):  # noqa: F811
    instance = start(service)
    return instance, StationDeployment.objects.get(process_instance=instance)


def test_the_organisation_reports_from_the_service_page_and_gets_the_response_task(client, running, offices):
    instance, deployment = running
    client.force_login(offices["org1"])
    page = client.get(f"/instances/{instance.pk}/").content.decode()
    link = f"/emergencies/report/?deployment={deployment.pk}"
    assert link in page and "报告突发事件" in page
    assert 'href="/emergencies/report/"' in client.get("/").content.decode()  # in the menu too
    form = client.get(link).content.decode()
    assert f'<option value="{deployment.pk}" selected>金元社区社工站（2026 年度）</option>' in form
    assert "自然灾害" in form

    response = client.post(link, {"deployment": deployment.pk, **REPORT})
    emergency = ProcessInstance.objects.get(version__definition__key="station_emergency")
    assert response.status_code == 302 and response["Location"] == f"/instances/{emergency.pk}/"
    assert "突发事件已报告" in client.get(response["Location"]).content.decode()
    assert emergency.data["station"] == "st1" and emergency.data["emergency"]["kind"] == "natural_disaster"
    respond = HumanTask.objects.get(instance=emergency, bpmn_id="respond_emergency")
    assert respond.office == "org1"
    assert f"/tasks/{respond.pk}/" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(link).content.decode()
    assert "Report an emergency" in english and "Natural disaster" in english and "自然灾害" not in english


def test_bad_reports_come_back_with_chinese_errors_at_their_fields(client, running, offices):
    _instance, deployment = running
    client.force_login(offices["org1"])
    response = client.post("/emergencies/report/", {"deployment": deployment.pk, "kind": "", "occurred_on": "2099-01-01",
                                                    "description": "  "})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["kind"] == ["突发事件类型必须是以下之一：自然灾害、事故灾难、公共卫生事件、社会安全事件"]
    assert errors["occurred_on"] == ["发生日期不能晚于今天"]
    assert errors["description"] == ["请描述发生了什么"]
    page = response.content.decode()
    assert 'id="id_occurred_on_errors"' in page and 'value="2099-01-01"' in page
    response = client.post("/emergencies/report/", {**REPORT, "deployment": deployment.pk, "occurred_on": "12/10"})
    assert response.context["form"].errors["occurred_on"] == ["发生日期必须是 YYYY-MM-DD 格式的日期"]
    assert not ProcessInstance.objects.filter(version__definition__key="station_emergency").exists()


def test_only_the_organisation_holding_the_service_may_report(client, running, offices, django_user_model):
    instance, deployment = running
    other = Office.objects.create(code="org9", name="黔东南同行社工中心", kind=OfficeKind.SOCIAL_ORG)
    outsider = django_user_model.objects.create_user("org9", password="pw")
    Membership.objects.create(user=outsider, office=other)
    client.force_login(outsider)
    assert client.get("/emergencies/report/").status_code == 403
    assert client.post("/emergencies/report/", {"deployment": deployment.pk, **REPORT}).status_code == 403
    assert 'href="/emergencies/report/"' not in client.get("/").content.decode()
    # The county sees the service's page but is not the organisation: no button, no form.
    client.force_login(offices["520102"])
    assert "/emergencies/report/" not in client.get(f"/instances/{instance.pk}/").content.decode()
    assert client.get(f"/emergencies/report/?deployment={deployment.pk}").status_code == 403
    # The organisation itself cannot name a service it does not hold.
    client.force_login(offices["org1"])
    assert client.get("/emergencies/report/?deployment=999999").status_code == 404
    assert not ProcessInstance.objects.filter(version__definition__key="station_emergency").exists()
