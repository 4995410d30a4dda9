"""An office's daily work in the browser: a delegation there and back, a substitute's inbox, and a comment whose
@mention reaches the mentioned office."""
from datetime import datetime, timezone

import pytest

from engine import api
from engine.api import clock
from engine.models import AuditEvent, HumanTask

from .test_plan_filing import submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

COUNTY = "520102"


@pytest.fixture
def review(deploy_bpmn, offices):
    clock.set_time(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))
    deploy_bpmn("county_review.bpmn")
    instance = api.start("county_review", data={"county": COUNTY}).instance
    yield HumanTask.objects.get(instance=instance, bpmn_id="review")
    clock.release()


def fill_plan(page, background, budget):
    page.wait_for_selector("#task-form .fjs-container")
    page.get_by_label("背景").fill(background)
    page.get_by_label("预算").fill(budget)


def test_a_delegation_goes_to_the_colleague_and_back_to_the_delegator(signed_in, live_server, review, offices,
                                                                       screenshot):
    head = signed_in(offices[COUNTY])
    head.goto(f"{live_server.url}/tasks/{review.pk}/")
    head.select_option("#delegate-form select[name=delegate]", "520102-b")
    head.fill("#delegate-form input[name=note]", "请先核对预算")
    head.locator("#delegate-form button").click()
    head.locator(".messages", has_text="已委派给 520102-b").wait_for()
    assert "已委派给" in head.locator(".notice.delegation").inner_text()
    assert head.locator("#form-submit").count() == 0, "the delegator waits for the delegate"

    clerk = signed_in(offices["520102-b"])
    clerk.goto(f"{live_server.url}/?tab=claimed")
    clerk.locator("tr", has_text="审核年度计划").locator(".badge.delegated").wait_for()
    clerk.locator("a", has_text="审核年度计划").click()
    assert "委派您办理" in clerk.locator(".notice.delegation").inner_text()
    fill_plan(clerk, "已核对，预算无误", "1200")
    screenshot(clerk, "delegate-hands-back")
    assert clerk.locator("#form-submit").inner_text() == "交回委派人"
    submit(clerk)
    assert "已交回" in clerk.locator(".messages").inner_text()

    head.goto(f"{live_server.url}/")
    head.locator("tr", has_text="审核年度计划").locator(".badge.delegated", has_text="待确认").wait_for()
    head.goto(f"{live_server.url}/tasks/{review.pk}/")
    head.wait_for_selector("#task-form .fjs-container")
    assert head.get_by_label("背景").input_value() == "已核对，预算无误", "the delegate's form, to confirm"
    submit(head)
    review.refresh_from_db()
    assert review.state == "completed" and review.completed_by == COUNTY
    assert list(AuditEvent.objects.filter(task_id=review.pk, action__in=["task.delegate", "task.resolve"])
                .order_by("at", "id").values_list("action", "actor")) == [("task.delegate", COUNTY),
                                                                          ("task.resolve", "520102-b")]


def test_a_substitute_finds_the_absent_persons_task_in_their_inbox(signed_in, live_server, review, offices):
    api.claim(review.id, actor=offices[COUNTY])
    head = signed_in(offices[COUNTY])
    head.goto(f"{live_server.url}/substitutes/")
    head.select_option("#substitute-form select[name=substitute]", "5201")
    head.fill("#substitute-form input[name=starts_on]", "2026-03-02")
    head.fill("#substitute-form input[name=ends_on]", "2026-03-13")
    head.fill("#substitute-form input[name=reason]", "休假")
    head.locator("#substitute-form button").click()
    head.locator("#substitutions td", has_text="2026-03-02 — 2026-03-13").wait_for()

    prefecture = signed_in(offices["5201"])
    prefecture.goto(f"{live_server.url}/?tab=claimed")
    row = prefecture.locator("tr", has_text="审核年度计划")
    row.locator(".badge.substitute").wait_for()
    row.locator("a", has_text="审核年度计划").click()
    assert "您正代理" in prefecture.locator(".notice.substitute").inner_text()
    fill_plan(prefecture, "代为审核", "800")
    submit(prefecture)
    completed = AuditEvent.objects.get(task_id=review.pk, action="task.complete")
    assert completed.actor == "5201" and completed.data["on_behalf_of"] == COUNTY


def test_a_comment_mentioning_an_office_reaches_its_inbox(signed_in, live_server, review, offices):
    county = signed_in(offices[COUNTY])
    county.goto(f"{live_server.url}/tasks/{review.pk}/")
    county.fill("#comment-text", "@遵义市民政局 请看")
    county.locator(".comment-form button").click()
    assert "遵义市民政局 看不到这个流程" in county.locator(".messages").inner_text(), "no mention of who cannot see it"
    county.fill("#comment-text", "预算偏高，请@贵阳市民政局把关")
    county.locator(".comment-form button").click()
    county.locator(".comment-list .mention", has_text="@贵阳市民政局").wait_for()
    county.locator(".timeline", has_text="预算偏高").wait_for()

    prefecture = signed_in(offices["5201"])
    prefecture.goto(f"{live_server.url}/")
    mention = prefecture.locator("#mentions li", has_text="预算偏高")
    mention.wait_for()
    mention.locator("a").click()
    prefecture.locator(".comment-list li", has_text="预算偏高，请@贵阳市民政局把关").wait_for()
    zunyi = signed_in(offices["520302"])
    zunyi.goto(f"{live_server.url}/")
    assert zunyi.locator("#mentions").count() == 0, "an office not mentioned is not reached"
