"""A county files its annual plan, the prefecture returns it, the county revises, the province files it;
a manager then finds the instance and sees its diagram marked."""
import pytest

from engine import api
from engine.models import ProcessInstance

from .conftest import LAPTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(browser, live_server, username, viewport=LAPTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def open_task(page, name):
    page.get_by_role("link", name=name).first.click()
    page.wait_for_selector("#task-form .fjs-container, #form-submit:not([hidden])")


def test_plan_is_written_returned_revised_filed_and_seen_on_the_diagram(
        browser, live_server, offices, deploy_bpmn, screenshot):
    deploy_bpmn("plan_filing_ui.bpmn")
    instance = api.start("plan_filing_ui", "plan-2026-520102", {"county": "520102", "year": 2026})

    county = log_in(browser, live_server, "520102")
    screenshot(county, "inbox-laptop")
    open_task(county, "编写年度计划")
    county.get_by_label("项目背景").fill("安置点新设街道")
    county.get_by_label("预算金额(元)").fill("-5")
    county.locator("#form-submit").click()
    assert county.locator(".fjs-form-field-error").first.is_visible()  # form-js checks min 0 in the browser
    county.get_by_label("预算金额(元)").fill("120000.5")
    screenshot(county, "task-form-laptop")
    county.locator("#form-submit").click()
    county.wait_for_url(f"{live_server.url}/")
    assert "已办结" in county.locator(".messages").inner_text()

    prefecture = log_in(browser, live_server, "5201", viewport=PHONE)
    open_task(prefecture, "审核年度计划")
    prefecture.get_by_label("退回修改").check()
    prefecture.get_by_label("说明").fill("预算说明不足")
    screenshot(prefecture, "review-phone")
    prefecture.locator("#form-submit").click()
    prefecture.wait_for_url(f"{live_server.url}/")

    county.goto(f"{live_server.url}/")
    open_task(county, "编写年度计划")
    assert county.get_by_label("项目背景").input_value() == "安置点新设街道"  # the returned plan comes back
    county.get_by_label("项目背景").fill("安置点新设街道，补充预算说明")
    county.locator("#form-submit").click()
    county.wait_for_url(f"{live_server.url}/")

    prefecture.goto(f"{live_server.url}/")
    open_task(prefecture, "审核年度计划")
    prefecture.get_by_label("通过").check()
    prefecture.locator("#form-submit").click()
    prefecture.wait_for_url(f"{live_server.url}/")

    province = log_in(browser, live_server, "gz")
    open_task(province, "年度计划备案")
    province.locator("#form-submit").click()
    province.wait_for_url(f"{live_server.url}/")
    instance.refresh_from_db()
    assert instance.state == "completed"

    province.get_by_role("link", name="流程实例").click()
    province.get_by_label("县(市、区)").select_option("520102")
    province.get_by_role("button", name="筛选").click()
    screenshot(province, "instances-laptop")
    province.get_by_role("link", name="plan-2026-520102").click()
    province.wait_for_selector("#diagram[data-ready=true]")
    assert province.locator("#diagram .mark-completed").count() >= 4
    assert province.locator(".timeline li", has_text="办结：审核年度计划").count() == 2  # returned once
    screenshot(province, "instance-laptop")
    province.set_viewport_size(PHONE)
    screenshot(province, "instance-phone")
    assert ProcessInstance.objects.filter(pk=instance.pk, state="completed").exists()
