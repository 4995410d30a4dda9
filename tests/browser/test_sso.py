"""A person signs on with the province's identity service in a real browser: the login page's button, the service's
own login page, and back to their office's inbox (the provider and its fixtures: tests/test_sso.py)."""
from ..test_sso import PERSON, hosts, plans, provider, sso  # noqa: F401 - fixtures
from .conftest import LAPTOP


@sso
def test_a_person_signs_on_from_the_login_page_and_lands_in_their_inbox(browser, hosts, provider, plans, screenshot):
    product, service = hosts
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{product}/accounts/login/")
    screenshot(page, "sso-login")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    # The identity service asks who it is (its login page, here under the service's own host name).
    page.wait_for_url(f"{service}/accounts/login/**")
    page.get_by_label("用户名").fill(PERSON)
    page.get_by_label("密码").fill("idp-pw")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{product}/")
    assert page.locator(".whoami").inner_text() == "张伟"
    assert page.get_by_text("plan-2026-520102").count() and not page.get_by_text("plan-2026-520302").count()
    screenshot(page, "sso-inbox")
    context.close()
