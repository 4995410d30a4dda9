"""A due time explains itself on the task page and in the inbox's tooltip."""
from django.urls import reverse

from .steps import open_task
from .test_deadlines import deploy, start
from .test_webui_pages import review  # noqa: F401 - a fixture


def test_the_task_page_and_the_inbox_say_how_the_due_time_was_counted(client, offices):
    deploy()
    task = open_task(start(), "place")
    client.force_login(offices["org1"])
    page = client.get(reverse("webui:task", args=[task.pk])).content.decode()
    assert "期限怎样计算" in page
    assert "自 agreement.signed_on 2026-09-30 起算，当日不计" in page
    assert "期限 15 个工作日，截止 2026-10-27 24:00" in page
    assert "不计节假日：10-01 国庆节、10-02 国庆节、10-05 国庆节、10-06 国庆节、10-07 国庆节" in page
    assert "调休上班，计入：10-10 国庆节调休" in page
    assert "依据：方案 三(三)3" in page
    inbox = client.get(reverse("webui:inbox")).content.decode()
    assert 'title="自 agreement.signed_on 2026-09-30 起算，当日不计\n期限 15 个工作日' in inbox


def test_a_provisional_due_time_says_which_year_is_missing_in_english_too(client, offices):
    deploy(period=80)
    task = open_task(start(), "place")
    client.force_login(offices["org1"])
    page = client.get(reverse("webui:task", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How the due time is counted" in page and "Period 80 working days, due 2027-01-26 24:00" in page
    assert "Provisional: the holiday notice for 2027 is not loaded yet" in page


def test_a_due_date_the_diagram_computes_says_how_many_working_days_it_left(client, offices, review):
    task = open_task(review, "write_plan")
    client.force_login(offices["520102"])
    page = client.get(reverse("webui:task", args=[task.pk])).content.decode()
    assert "其间 5 个工作日" in page and "自任务开始之日" in page


def test_a_period_of_calendar_days_says_it_moves_off_a_rest_day(client, offices):
    deploy(period=3, unit="days")
    task = open_task(start(), "place")
    client.force_login(offices["org1"])
    page = client.get(reverse("webui:task", args=[task.pk])).content.decode()
    assert "期限 3 日（末日逢休息日顺延），截止 2026-10-08 24:00" in page
