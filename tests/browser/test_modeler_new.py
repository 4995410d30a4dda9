"""A process owner creates a process from the approval pattern in the browser, validates and deploys it."""
import pytest

from engine.models import DefinitionVersion
from workflows.models import Membership


pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_new_approval_process_opens_in_the_modeler_validates_and_deploys(signed_in, live_server, offices,
                                                                          screenshot):
    Membership.objects.filter(user=offices["gz"]).update(is_process_owner=True)
    page = signed_in(offices["gz"])

    page.goto(f"{live_server.url}/modeler/")
    page.click("text=新建流程")
    page.fill("#id_key", "station_visit")
    page.fill("#id_name", "入户走访审批")
    page.check("input[name=template][value=approval]")
    page.select_option("#id_first_office", "社工站")
    page.select_option("#id_second_office", "县(市、区)民政局")
    screenshot(page, "modeler-new")
    page.click("form.page-form button[type=submit]")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert "新流程，尚未部署" in page.locator("h1").inner_text()
    # The diagram is drawn with its lanes named by office, its names readable.
    assert page.locator('.djs-element[data-element-id="lane_0"]').count() == 1
    assert "社工站" in page.locator('.djs-element[data-element-id="lane_0"]').text_content()
    assert page.locator('.djs-element[data-element-id="submit"]').bounding_box()["width"] > 60
    page.click("#btn-validate")
    page.wait_for_selector("#modeler-status.success")
    screenshot(page, "modeler-new-opened")

    page.click("#btn-deploy")
    page.fill("#deploy-note", "新建入户走访审批")
    page.click("#deploy-confirm")
    page.wait_for_selector("#modeler-deployed a")
    assert DefinitionVersion.objects.filter(definition__key="station_visit", number=1).exists()
