"""The province records the bids in the browser: a bidder is found by typing part of its name among the nation's
organisations (procurement is open to every registered one), not picked out of a list of all of them."""
import pytest

from workflows.models import Office, OfficeKind
from workflows.procurement.launch import start_procurement

from ..steps import china, move_clock_to, open_task
from ..test_procurement import YEAR, complete, through_guidance, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_bidder_is_searched_as_it_is_typed(signed_in, live_server, world, screenshot):  # noqa: F811
    users, _counties = world
    Office.objects.bulk_create(Office(code=f"org-many-{n:04d}", name=f"第{n}社会工作服务中心", kind=OfficeKind.SOCIAL_ORG)
                               for n in range(400))
    instance = start_procurement(YEAR, actor=users["gz"])
    move_clock_to(china(2026, 9, 1, 9))
    through_guidance(instance, users)
    move_clock_to(china(2026, 10, 9, 9))
    complete(instance, "publish_tender", users, {"announcement_url": "http://www.ccgp-guizhou.gov.cn/zb/2027-1"})
    move_clock_to(china(2026, 10, 30, 10))

    page = signed_in(users["gz"])
    page.goto(f"{live_server.url}/tasks/{open_task(instance, 'open_bids').pk}/")
    page.wait_for_selector("#task-form .fjs-container")
    bidder = page.locator(".fjs-form-field-select", has_text="投标人").first
    field = bidder.locator("input")
    field.first.click()
    field.first.fill("同心")
    options = bidder.locator(".fjs-dropdownlist-item")
    assert options.all_inner_texts() == ["贵州同心社工中心"]
    options.first.click()
    assert field.first.input_value() == "贵州同心社工中心"
    field.first.fill("第39")
    assert bidder.locator(".fjs-dropdownlist-item").count() == 11  # 第39…, 第390 to 第399
    screenshot(page, "procurement-bidder-searched")
