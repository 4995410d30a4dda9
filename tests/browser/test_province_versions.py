"""A province's process owner deploys its own version in the modeler; another province's owner never sees it."""
import pytest
from django.contrib.auth import get_user_model

from engine.models import DefinitionVersion
from workflows.directory import forget_office_tree
from workflows.national import load_national
from workflows.sample_data import PROVINCE_CODE, load_sample_data

from ..conftest import BPMN_DIR
from .test_modeler import KEY, open_modeler, set_timer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded calendar


@pytest.fixture
def owners(deploy_bpmn):
    load_sample_data("pw")
    load_national(2000, "pw", seed=1)
    forget_office_tree()
    users = get_user_model().objects
    deploy_bpmn("county_review.bpmn", note="首次部署")
    assert DefinitionVersion.objects.get(number=1).tenant == "" and (BPMN_DIR / "county_review.bpmn").exists()
    return {name: users.get(username=name) for name in (PROVINCE_CODE, "syn-11-civil-affairs",
                                                        "syn-12-civil-affairs")}


def test_a_province_deploys_its_own_version_that_another_does_not_see(owners, signed_in, live_server, screenshot):
    page = signed_in(owners["syn-11-civil-affairs"])
    open_modeler(page, live_server)
    set_timer(page, '"P3D"')
    page.click("#btn-deploy")
    assert "部署为：合成11省民政厅" in page.locator("#deploy-dialog").inner_text()
    screenshot(page, "province-deploy-dialog")
    page.fill("#deploy-note", "本省公示期改为三天")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")
    page.click("#modeler-deployed a")
    page.wait_for_selector('tr[data-version="2"]')
    assert "合成11省民政厅" in page.locator('tr[data-version="2"] td.tenant').inner_text()
    assert "新实例使用此版本" in page.locator('tr[data-version="2"]').inner_text()
    screenshot(page, "province-version-history")
    assert DefinitionVersion.objects.get(number=2).tenant == "110000"

    other = signed_in(owners["syn-12-civil-affairs"])
    other.goto(f"{live_server.url}/modeler/{KEY}/history/")
    other.wait_for_selector('tr[data-version="1"]')
    assert other.locator('tr[data-version="2"]').count() == 0
    assert "新实例使用此版本" in other.locator('tr[data-version="1"]').inner_text()
    response = other.goto(f"{live_server.url}/modeler/{KEY}/v2/")
    assert response.status == 403

    guizhou = signed_in(owners[PROVINCE_CODE])
    guizhou.goto(f"{live_server.url}/modeler/{KEY}/history/?tenant=110000")
    guizhou.wait_for_selector('tr[data-version="2"]')
    assert "新实例使用此版本" in guizhou.locator('tr[data-version="2"]').inner_text()
    screenshot(guizhou, "province-history-seen-by-guizhou")
