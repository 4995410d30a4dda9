"""The pages every office opens fit the screen's width, in Chinese and in English (whose words are longer),
on a laptop and on a phone: nothing sticks out past the right edge."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from engine.api import deploy, read_files
from workflows.sample_data import load_sample_data

from ..county_cycle_steps import PRODUCT_BPMN
from .conftest import PHONE
from .test_plan_filing import overflowing

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGES = ["/", "/instances/", "/dashboard/", "/substitutes/", "/settings/notifications/", "/modeler/",
         "/modeler/county_annual_cycle/history/"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_provinces_pages_fit_a_narrow_laptop_and_a_phone(browser, live_server, language):
    load_sample_data("pw")
    deploy(*read_files([PRODUCT_BPMN / "county_annual_cycle.bpmn", PRODUCT_BPMN / "performance_evaluation.bpmn"]))
    client = Client()
    client.force_login(get_user_model().objects.get(username="gz-civil-affairs"))
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        context = browser.new_context(viewport=viewport)
        context.add_cookies([{"name": name, "value": value, "url": live_server.url} for name, value in (
            ("sessionid", client.cookies["sessionid"].value), ("django_language", language))])
        page = context.new_page()
        for path in PAGES:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("html").get_attribute("lang") == language
            assert not overflowing(page), (viewport["width"], path, overflowing(page))
        context.close()


def test_a_chart_box_grows_to_the_height_its_bars_ask_for(browser, live_server):
    load_sample_data("pw")
    client = Client()
    client.force_login(get_user_model().objects.get(username="gz-civil-affairs"))
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboard/")
    box = page.locator(".chart-box").nth(1)  # the compliance chart's: no step yet asks for less than a box holds
    assert box.evaluate("node => node.getBoundingClientRect().height") == 280
    box.evaluate("node => node.style.setProperty('--content-height', '500px')")
    assert box.evaluate("node => node.getBoundingClientRect().height") == 500
    context.close()
