"""The county annual cycle's plan step in the browser, on the real diagram and forms (bpmn/): a county
writes its annual plan with budget lines, the prefecture returns it with a comment, the county revises,
the prefecture approves, the province files it; a manager then finds the instance and sees its diagram."""
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from engine.api import clock
from engine.api import deploy, read_files
from engine.models import HumanTask
from workflows.planning.launch import start_year
from workflows.planning.models import AnnualPlan
from workflows.sample_data import PROVINCE_CODE, load_sample_data

from ..county_cycle_steps import MONDAY, PRODUCT_BPMN, YEAR
from .conftest import LAPTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded calendar for later tests

COUNTY, PREFECTURE = "520526", "5205"  # 威宁彝族回族苗族自治县 in 毕节市, three stations
PASSWORD = "pw"


@pytest.fixture
def year_started(db):
    """The demonstration offices, the cycle deployed from bpmn/ and the year started as `startyear` does."""
    clock.set_time(MONDAY)
    load_sample_data(PASSWORD)
    bpmn, forms = read_files([PRODUCT_BPMN / "county_annual_cycle.bpmn",
                              PRODUCT_BPMN / "performance_evaluation.bpmn"])
    deploy(bpmn, forms, note="test")
    instances = {instance.data["county"]: instance for instance in start_year(YEAR)}
    # 2026's holidays are in the seeded calendar: the deadlines are final, not provisional.
    assert not HumanTask.objects.filter(due_provisional=True).exists()
    return instances


def log_in(browser, live_server, username, viewport=LAPTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def open_task(page, name):
    page.get_by_role("link", name=name).first.click()
    page.wait_for_selector("#task-form .fjs-container")


def choose(scope, label, option):
    """Pick an option of a form-js select: a drop-down list over a hidden input, not a native <select>."""
    field = scope.locator(".fjs-form-field-select", has_text=label)
    field.locator(".fjs-input-group").click()
    field.locator(".fjs-dropdownlist-item", has_text=option).click()


def submit(page):
    """Submit the form; the page moves on to the inbox or the person's next task with a notice."""
    page.locator("#form-submit").click()
    page.locator(".messages").wait_for()


def overflowing(page):
    """What sticks out past the viewport's right edge, once the page has laid itself out again (charts
    resize a frame after the viewport does); empty when the page fits the width."""
    try:
        page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth", timeout=5000)
    except PlaywrightTimeout:
        return page.evaluate("""() => {
          const edge = window.innerWidth, found = [`page ${document.documentElement.scrollWidth} > ${edge}`];
          for (const node of document.body.querySelectorAll('*')) {
            const box = node.getBoundingClientRect();
            if (box.right > edge + 0.5 && !found.some((seen) => seen.node && seen.node.contains(node)))
              found.push({node, text: `${node.tagName.toLowerCase()}.${node.className} ${Math.round(box.left)}..${Math.round(box.right)}`});
          }
          return found.slice(0, 12).map((entry) => entry.text || entry);
        }""")
    return []


def budget_row(page, row):
    return page.locator(".fjs-repeat-row-container").nth(row)


def test_plan_is_written_returned_revised_filed_and_seen_on_the_diagram(
        browser, live_server, year_started, screenshot):
    instance = year_started[COUNTY]

    county = log_in(browser, live_server, COUNTY)
    screenshot(county, "inbox-laptop")
    open_task(county, "编制年度实施计划")
    county.get_by_label("项目背景").fill("五里岗街道为易地扶贫搬迁安置点新设街道，搬迁群众融入需求大。")
    county.get_by_label("项目目标").fill("每站配备不少于 2 名驻站社工，服务覆盖全部安置点。")
    county.get_by_label("预算总额（元）").fill("-5")
    county.locator("#form-submit").click()
    assert county.locator(".fjs-form-field-error").first.is_visible()  # form-js checks min 0 in the browser
    county.get_by_label("预算总额（元）").fill("45万")  # as officials write amounts
    assert county.get_by_label("预算总额（元）").input_value() == "450000"
    county.locator(".fjs-repeat-render-add").click()  # a second budget line
    first = budget_row(county, 0)
    first.get_by_label("支出项目").fill("驻站社工薪酬")
    choose(first, "类别", "人员经费")
    first.get_by_label("金额（元）").fill("360,00")  # no amount: not read as 360.00, and said so
    assert "金额写法不对" in first.locator(".amount-hint").inner_text()
    county.locator("#form-submit").click()
    assert county.locator(".messages").count() == 0 and first.get_by_label("金额（元）").evaluate(
        "(input) => input === document.activeElement")
    first.get_by_label("金额（元）").fill("360,000")
    assert first.locator(".amount-hint").count() == 0
    second = budget_row(county, 1)
    second.get_by_label("支出项目").fill("社区融入活动")
    choose(second, "类别", "服务活动经费")
    second.get_by_label("金额（元）").fill("90000")
    county.get_by_label("服务内容及进度安排").fill("1-2 月需求调研，3-12 月驻站服务。")
    county.get_by_label("社工站数量").fill("3")
    county.get_by_label("社工站质量标准").fill("每站有固定场所、服务台账与月报。")
    county.get_by_label("绩效评价安排").fill("年末由省民政厅组织绩效评价。")
    screenshot(county, "annual-plan-laptop")
    submit(county)
    assert "已办结" in county.locator(".messages").inner_text()
    plan = AnnualPlan.objects.get(county__code=COUNTY, year=YEAR)
    assert plan.state == "submitted" and [line["item"] for line in plan.budget_lines] == ["驻站社工薪酬", "社区融入活动"]
    assert plan.budget == 450000 and plan.budget_lines[0]["amount"] == "360000.00", "not 360.00"

    prefecture = log_in(browser, live_server, PREFECTURE, viewport=PHONE)
    screenshot(prefecture, "inbox-phone")
    assert not overflowing(prefecture)
    open_task(prefecture, "审核年度实施计划")
    assert prefecture.get_by_label("支出项目").count() == 2  # the budget lines, to read
    choose(prefecture, "审核意见", "退回修改")
    prefecture.get_by_label("退回理由").fill("预算明细需细化到每个社工站")
    screenshot(prefecture, "plan-review-phone")
    assert not overflowing(prefecture)
    submit(prefecture)

    county.goto(f"{live_server.url}/")
    returned = county.locator("tr", has_text="编制年度实施计划").locator(".badge.returned")
    assert returned.inner_text() == "已退回" and returned.get_attribute("title") == "预算明细需细化到每个社工站"
    open_task(county, "编制年度实施计划")
    assert county.get_by_label("上次退回理由").input_value() == "预算明细需细化到每个社工站"
    assert budget_row(county, 1).get_by_label("支出项目").input_value() == "社区融入活动"  # the plan comes back
    county.get_by_label("服务内容及进度安排").fill("1-2 月需求调研，3-12 月驻站服务；三站各 15 万元。")
    screenshot(county, "annual-plan-revised-laptop")
    submit(county)

    prefecture.goto(f"{live_server.url}/")
    open_task(prefecture, "审核年度实施计划")
    choose(prefecture, "审核意见", "通过，报省民政厅备案")
    submit(prefecture)

    province = log_in(browser, live_server, PROVINCE_CODE)
    open_task(province, "年度计划备案")
    choose(province, "审核意见", "予以备案")
    province.get_by_label("备案编号").fill("黔民备〔2026〕12号")
    screenshot(province, "plan-filing-laptop")
    submit(province)
    plan.refresh_from_db()
    assert plan.state == "filed"
    assert not HumanTask.objects.filter(instance=instance, state__in=["open", "claimed"]).exists()

    province.get_by_role("link", name="流程实例").click()
    county = province.get_by_label("县(市、区)")  # searched as one types: the province has thousands
    county.fill(COUNTY)
    suggestion = province.locator(f"datalist#{county.get_attribute('list')} option[value*='{COUNTY}']")
    suggestion.wait_for(state="attached")
    county.fill(suggestion.get_attribute("value"))
    province.get_by_role("button", name="筛选").click()
    screenshot(province, "instances-laptop")
    province.get_by_role("link", name=f"county-{YEAR}-{COUNTY}").click()
    province.wait_for_selector("#diagram[data-ready=true]")
    for element in ("write_plan", "review_plan", "file_plan"):
        assert province.locator(f'#diagram [data-element-id="{element}"].mark-completed').count() == 1
    assert province.locator("#diagram .mark-current").count() >= 1  # waiting for the procurement's award
    assert province.locator(".timeline li", has_text="办结：审核年度实施计划").count() == 2  # returned once
    screenshot(province, "instance-laptop")
    province.set_viewport_size(PHONE)
    screenshot(province, "instance-phone")
    assert not overflowing(province)

    province.set_viewport_size(LAPTOP)
    province.get_by_role("link", name="看板").click()
    province.wait_for_selector(".diagram[data-ready=true]")  # the heat map drawn, the charts laid out
    screenshot(province, "dashboard-laptop")
    province.set_viewport_size(PHONE)
    # Checked before the full-page screenshot, which lays the page out again at the page's whole size.
    assert not overflowing(province)
    screenshot(province, "dashboard-phone")


def test_what_is_typed_survives_a_reload_and_an_upload(browser, live_server, year_started, tmp_path):
    county = log_in(browser, live_server, COUNTY)
    open_task(county, "编制年度实施计划")
    county.get_by_label("项目背景").fill("安置点新设街道，需求调研已完成。")
    county.get_by_label("预算总额（元）").fill("30万")
    county.wait_for_timeout(1500)  # the draft is kept a moment after the typing stops
    county.reload()
    county.locator(".fjs-form").wait_for()
    assert county.get_by_label("项目背景").input_value() == "安置点新设街道，需求调研已完成。"
    assert county.get_by_label("预算总额（元）").input_value() == "300000"
    assert "填写但未提交的内容" in county.locator("#form-draft-note").inner_text()

    county.get_by_label("项目目标").fill("每站两名驻站社工。")
    scan = tmp_path / "需求调研报告.pdf"
    scan.write_bytes(b"%PDF-1.4 survey")
    county.set_input_files("#attachment-upload input[type=file]", str(scan))
    county.locator("#attachment-upload button[type=submit]").click()
    county.locator("#attachment-list a", has_text="需求调研报告.pdf").wait_for()
    assert county.get_by_label("项目目标").input_value() == "每站两名驻站社工。", "the upload left the form as it was"
    assert county.locator("#attachment-list a").count() == 1
