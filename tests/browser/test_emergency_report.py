"""An organisation reports an emergency at a station it serves, from the station service's page, in the browser."""
import pytest

from engine.models import HumanTask, ProcessInstance

from ..test_station_service import service, start  # noqa: F401  (service is a fixture)
from .conftest import PHONE
from .test_plan_filing import log_in, overflowing

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_emergency_is_reported_with_errors_at_the_fields_first(browser, live_server, service, screenshot):  # noqa: F811
    instance = start(service)
    page = log_in(browser, live_server, "org1")
    page.goto(f"{live_server.url}/instances/{instance.pk}/")
    page.locator(".card").get_by_role("link", name="报告突发事件").click()
    assert page.get_by_label("社工站").input_value() != ""  # the station of the page it came from

    page.get_by_role("button", name="提交报告").click()
    assert page.locator("#id_kind_errors").inner_text().startswith("突发事件类型必须是以下之一")
    assert page.locator("#id_description_errors").inner_text() == "请描述发生了什么"
    screenshot(page, "emergency-report-errors-laptop")

    page.get_by_label("突发事件类型").select_option(label="自然灾害")
    page.get_by_label("发生日期").fill("2025-12-09")
    page.get_by_label("事件经过").fill("暴雨引发山洪，安置点部分住户受灾，需心理疏导和临时安置。")
    page.get_by_role("button", name="提交报告").click()
    page.locator(".messages").wait_for()
    assert "突发事件已报告" in page.locator(".messages").inner_text()
    emergency = ProcessInstance.objects.get(version__definition__key="station_emergency")
    assert page.url.endswith(f"/instances/{emergency.pk}/")
    screenshot(page, "emergency-reported-laptop")

    page.get_by_role("link", name="待办").click()
    respond = HumanTask.objects.get(instance=emergency, bpmn_id="respond_emergency")
    assert respond.office == "org1"
    assert page.get_by_role("link", name=respond.name).count() == 1

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/emergencies/report/")
    screenshot(page, "emergency-report-phone")
    assert not overflowing(page)
