"""Notifications reach the people concerned through a real SMTP server and a local HTTP server standing in for a
messaging group's robot: once each, after a channel that was down is back, alone or in a day's digest."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.db import connection, transaction
from lxml import etree

from engine import api
from engine.api import clock, dispatch_due_timers
from engine.models import HumanTask
from notifications.jobs import tick
from notifications.outbox import retry
from notifications.models import (Notification, NotificationSettings, OutboxMessage, RobotKind, WebhookDelivery,
                                  WebhookSubscription)
from notifications.supervision import WORD, escalation_tasks
from workflows.substitutes import set_substitute

from .receivers import HTTPReceiver, SMTPReceiver, free_port
from .test_celery_worker import worker  # noqa: F401 - the fixture: a real worker on Redis

pytestmark = pytest.mark.django_db

LIFECYCLE = Path(__file__).resolve().parent.parent / "bpmn"
MONDAY = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)  # 09:00 in China, a working day


@pytest.fixture
def smtp(settings):
    receiver = SMTPReceiver()
    receiver.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", receiver.port, 5
    yield receiver
    if receiver.controller is not None:
        receiver.stop()


@pytest.fixture
def people(offices):
    """The offices' users, each with an e-mail address: username@example.gov.cn."""
    for username, user in offices.items():
        user.email = f"{username}@example.gov.cn"
        user.save()
    return offices


@pytest.fixture
def robots(settings):
    """A local HTTP server that robot channels may post to."""
    receiver = HTTPReceiver()
    receiver.start()
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "ROBOT_HOSTS": ["127.0.0.1"], "HTTP_TIMEOUT": 2}
    yield receiver
    if receiver.server is not None:
        receiver.stop()


def subjects(mails):
    return sorted(mail["Subject"] for mail in mails)


def county_task(data=None):
    api.start("county_work", data={"county": "520102", **(data or {})})
    return HumanTask.objects.filter(bpmn_id="county_task").order_by("-created_at").first()


def test_a_task_reaches_its_office_and_substitutes_once_and_a_delegated_one_its_delegate(
        people, smtp, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    # 520102-b is on leave; 5201 (the prefecture above) stands in and so sees the county's tasks.
    set_substitute("520102-b", "5201", clock.today_in_china(), clock.today_in_china() + timedelta(days=5))
    task = county_task()
    tick()
    assert subjects(smtp.to("5201@example.gov.cn")) == ["代理设置：代理 520102-b", "新待办：县级办理"]
    for username in ("520102", "520102-b"):
        [mail] = smtp.to(f"{username}@example.gov.cn")
        assert mail["Subject"] == "新待办：县级办理"
        text = mail.get_content()
        assert "南明区民政局有一项新的待办任务“县级办理”" in text and f"/tasks/{task.pk}/" in text
    assert not smtp.to("5203@example.gov.cn") and not smtp.to("gz@example.gov.cn"), "other offices are not told"
    tick()
    assert len(smtp.mails) == 4, "nothing is sent twice"

    api.delegate(task.pk, "520102-b", actor=people["520102"], note="请核实预算")
    tick()
    delegated = [(rcpt, mail) for rcpt, mail in smtp.mails if mail["Subject"] == "委派任务：县级办理"]
    assert sorted(rcpt[0] for rcpt, _mail in delegated) == ["520102-b@example.gov.cn", "5201@example.gov.cn"], \
        "the delegate, and who stands in for them; not the one who delegated"
    assert "说明：请核实预算" in delegated[0][1].get_content()


def test_mail_waits_while_the_server_is_down_and_goes_once_when_it_is_back(people, smtp, deploy_bpmn, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "RETRY_SECONDS": 60, "RETRY_MAX_SECONDS": 600}
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    smtp.stop()
    county_task()
    tick()
    rows = OutboxMessage.objects.filter(recipient__username__in=["520102", "520102-b"])
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1)] * 2
    assert "Connection refused" in rows[0].last_error
    assert rows[0].next_attempt_at == MONDAY + timedelta(seconds=60)
    tick()
    assert {r.attempts for r in rows.all()} == {1}, "not tried again before its pause is over"
    clock.advance(timedelta(seconds=61))
    tick()
    assert {(r.attempts, r.next_attempt_at - clock.now()) for r in rows.all()} == {(2, timedelta(seconds=120))}, \
        "the pause doubles"
    for _ in range(4):
        clock.advance(timedelta(seconds=600))
        tick()
    assert {(r.attempts, r.next_attempt_at - clock.now()) for r in rows.all()} == {(6, timedelta(seconds=600))}, \
        "up to its longest"

    smtp.start()
    clock.advance(timedelta(seconds=601))
    tick()
    assert {r.state for r in rows.all()} == {"sent"}
    for _ in range(3):
        clock.advance(timedelta(hours=2))
        tick()
    assert subjects(m for _r, m in smtp.mails) == ["新待办：县级办理"] * 2, "each sent once"


def test_a_message_whose_attempts_ran_out_fails_and_can_be_sent_again(people, smtp, deploy_bpmn, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 2}
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    people["520102-b"].delete()
    smtp.stop()
    county_task()
    for _ in range(3):
        tick()
        clock.advance(timedelta(hours=1))
    [row] = OutboxMessage.objects.all()
    assert (row.state, row.attempts) == ("failed", 2)
    smtp.start()
    assert retry(OutboxMessage.objects.all()) == 1
    tick()
    assert OutboxMessage.objects.get().state == "sent" and len(smtp.mails) == 1


def test_a_dingtalk_robot_gets_one_signed_text_after_errors_and_a_wecom_robot_its_shape(people, robots, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    NotificationSettings.objects.create(
        user=people["520102"], email_enabled=False, robot_kind=RobotKind.DINGTALK,
        robot_url=f"{robots.url}/robot/send?access_token=T1", robot_secret="SEC-1")
    NotificationSettings.objects.create(user=people["520102-b"], email_enabled=False, robot_kind=RobotKind.WECOM,
                                        robot_url=f"{robots.url}/cgi-bin/webhook/send?key=K2")
    robots.stop()
    county_task()
    tick()
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {("pending", 1)}, "refused: kept"
    robots.start()
    # A server error, then the robot's own refusal (sending too fast), then success.
    robots.answers = [(500, b"busy"), (200, b'{"errcode":45009,"errmsg":"api freq out of limit"}')] * 2
    for _ in range(4):
        clock.advance(timedelta(hours=1))
        tick()
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    by_path = {}
    for request in robots.requests:
        by_path.setdefault(request["path"], []).append(request)
    assert {path: len(requests) for path, requests in by_path.items()} == {
        "/robot/send": 3, "/cgi-bin/webhook/send": 3}, "each refused twice, then sent once"
    for request in robots.requests:
        body = json.loads(request["body"])
        assert body["msgtype"] == "text" and set(body) == {"msgtype", "text"}
        assert body["text"]["content"].startswith("新待办：县级办理\n南明区民政局有一项新的待办任务")
    for request in by_path["/robot/send"]:
        timestamp, sign = request["query"]["timestamp"][0], request["query"]["sign"][0]
        expected = base64.b64encode(hmac.new(b"SEC-1", f"{timestamp}\nSEC-1".encode(), hashlib.sha256).digest())
        assert sign.encode() == expected  # as the receiver reads the query: unquoted
        assert abs(int(timestamp) / 1000 - time.time()) < 60 and request["query"]["access_token"] == ["T1"]
    assert all("sign" not in r["query"] for r in by_path["/cgi-bin/webhook/send"])
    clock.advance(timedelta(hours=1))
    tick()
    assert len(robots.requests) == 6, "nothing sent twice"


def test_the_lifecycle_marks_its_supervision_tasks_by_the_timer_that_opens_them():
    """In every lifecycle diagram, the tasks a boundary timer opens are exactly those named 督办."""
    for path in sorted(LIFECYCLE.glob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        root = etree.fromstring(xml.encode())
        named = {t.get("id") for t in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask")
                 if WORD in (t.get("name") or "")}
        assert escalation_tasks(xml) == named, path.name


def test_a_supervision_task_is_announced_as_such_even_when_its_name_does_not_say_it(people, smtp, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("deadline.bpmn")
    api.start("deadline", data={"signed_on": "2026-03-02", "social_org": "org1", "county": "520102"})
    tick()
    assert subjects(smtp.to("org1@example.gov.cn")) == ["新待办：社工到岗"]
    clock.advance(timedelta(hours=25))
    dispatch_due_timers()  # the daily reminder (a boundary timer) opens 催办提醒 for the county
    tick()
    [mail] = smtp.to("520102@example.gov.cn")
    assert mail["Subject"] == "督办：催办提醒"
    assert "南明区民政局收到督办任务“催办提醒”" in mail.get_content()
    assert Notification.objects.filter(recipient=people["520102"]).get().kind == "supervision"


def test_a_task_is_announced_once_when_due_soon_and_once_when_overdue(people, smtp, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("deadline.bpmn")
    api.start("deadline", data={"signed_on": "2026-03-02", "social_org": "org1", "county": "520102"})
    task = HumanTask.objects.get(bpmn_id="place_workers")
    tick()
    clock.set_time(task.due_at - timedelta(days=1))
    tick()
    tick()
    assert subjects(smtp.to("org1@example.gov.cn")) == sorted(["新待办：社工到岗", "即将到期：社工到岗"])
    soon = smtp.to("org1@example.gov.cn")[-1].get_content()
    assert "任务“社工到岗”将于 2026-03-23 24:00 到期" in soon
    clock.set_time(task.due_at + timedelta(hours=1))
    tick()
    tick()
    assert subjects(smtp.to("org1@example.gov.cn")) == sorted(["新待办：社工到岗", "即将到期：社工到岗", "已逾期：社工到岗"])


def test_a_task_due_soon_when_it_arrives_is_not_announced_again_as_due_soon(people, smtp, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("deadline.bpmn")
    # Fifteen working days from a signing thirteen working days ago: due in two.
    api.start("deadline", data={"signed_on": "2026-02-11", "social_org": "org1", "county": "520102"})
    tick()
    tick()
    assert subjects(smtp.to("org1@example.gov.cn")) == ["新待办：社工到岗"]


def test_a_comment_reaches_the_people_and_offices_it_mentions_but_not_its_author(people, smtp, deploy_bpmn):
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    task = county_task()
    tick()
    smtp.mails.clear()
    api.add_comment(task.instance_id, "请 @南明区民政局 补充材料，@520102-b 核实", actor=people["gz"], task_id=task.pk)
    tick()
    [mail] = smtp.to("520102@example.gov.cn")
    assert mail["Subject"] == "gz 在意见中提到了南明区民政局"
    assert "请 @南明区民政局 补充材料" in mail.get_content() and f"/tasks/{task.pk}/" in mail.get_content()
    assert subjects(smtp.to("520102-b@example.gov.cn")) == ["gz 在意见中提到了您"], "named twice, told once"
    assert not smtp.to("gz@example.gov.cn")
    api.add_comment(task.instance_id, "@gz 请审阅", actor=people["gz"])
    tick()
    assert not smtp.to("gz@example.gov.cn"), "mentioning oneself tells no one"


def test_the_digest_gathers_a_days_notifications_into_one_mail(people, smtp, deploy_bpmn):
    NotificationSettings.objects.create(user=people["520102-b"], digest=True)
    clock.set_time(MONDAY)
    deploy_bpmn("office_work.bpmn")
    first = county_task({"n": 1})
    tick()
    clock.advance(timedelta(hours=3))
    county_task({"n": 2})
    api.add_comment(first.instance_id, "@520102-b 请办理", actor=people["5201"])
    tick()
    assert not smtp.to("520102-b@example.gov.cn"), "nothing single for someone who chose the digest"
    assert subjects(smtp.to("520102@example.gov.cn")) == ["新待办：县级办理"] * 2, "others' choice is theirs"
    clock.set_time(datetime(2026, 3, 2, 23, 59, tzinfo=timezone.utc))  # 07:59 the next day in China
    tick()
    assert not smtp.to("520102-b@example.gov.cn")
    clock.set_time(datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc))  # 08:00
    tick()
    county_task({"n": 3})  # after the digest: tomorrow's
    tick()
    clock.advance(timedelta(hours=5))
    tick()
    [digest] = smtp.to("520102-b@example.gov.cn")
    assert digest["Subject"] == "每日汇总：3 条通知（2026-03-03）"
    text = digest.get_content()
    assert text.count("[新待办] 新待办：县级办理") == 2 and "[提及] 5201 在意见中提到了您" in text
    clock.set_time(datetime(2026, 3, 4, 0, 0, tzinfo=timezone.utc))
    tick()
    assert subjects(smtp.to("520102-b@example.gov.cn")) == ["每日汇总：1 条通知（2026-03-04）",
                                                           "每日汇总：3 条通知（2026-03-03）"]


def test_the_settings_page_saves_ones_own_choices_and_shows_no_one_elses(people, client, robots):
    NotificationSettings.objects.create(user=people["520102-b"], email="b-private@example.gov.cn",
                                        robot_kind=RobotKind.WECOM, robot_url=f"{robots.url}/b-own-robot")
    Notification.objects.create(key="x:1", recipient=people["520102-b"], kind="task", subject="别人的通知", body="")
    Notification.objects.create(key="x:2", recipient=people["520102"], kind="task", subject="自己的通知", body="")
    client.force_login(people["520102"])
    page = client.get("/settings/notifications/")
    text = page.content.decode()
    assert page.status_code == 200 and "通知设置" in text and 'href="/settings/notifications/"' in text
    assert "b-private" not in text and "b-own-robot" not in text and "别人的通知" not in text
    assert "自己的通知" in text

    refused = client.post("/settings/notifications/", {
        "email_enabled": "on", "robot_kind": "dingtalk", "robot_url": "https://intranet.example/admin"})
    assert refused.status_code == 200 and "只能填写以下服务的群机器人地址：127.0.0.1" in refused.content.decode()
    saved = client.post("/settings/notifications/", {
        "email_enabled": "on", "email": "me@example.gov.cn", "robot_kind": "dingtalk",
        "robot_url": f"{robots.url}/robot/send?access_token=A", "robot_secret": "S3CRET", "digest": "on"})
    assert saved.status_code == 302
    mine = NotificationSettings.objects.get(user=people["520102"])
    assert (mine.email, mine.robot_kind, mine.robot_secret, mine.digest) == (
        "me@example.gov.cn", "dingtalk", "S3CRET", True)
    text = client.get("/settings/notifications/").content.decode()
    assert "access_token=A" in text and "S3CRET" not in text and "已保存加签密钥" in text
    client.post("/settings/notifications/", {"robot_kind": "dingtalk", "robot_url": mine.robot_url})
    assert NotificationSettings.objects.get(user=people["520102"]).robot_secret == "S3CRET", "kept when left empty"
    assert NotificationSettings.objects.get(user=people["520102-b"]).email == "b-private@example.gov.cn"

    client.post("/settings/notifications/test/")
    client.post("/settings/notifications/test/")
    assert list(OutboxMessage.objects.filter(recipient=people["520102"]).values_list("channel", flat=True)) == [
        "robot"], "one test a minute, on the channels chosen"
    tick()
    assert robots.json_bodies()[-1]["text"]["content"].startswith("测试通知")


def test_the_settings_page_asks_for_a_login(client, db):
    assert client.get("/settings/notifications/").status_code == 302


def database_url(settings):
    """The test database as DATABASE_URL names it, for a process started by the test."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_embedded_server_sends_without_a_worker(people, smtp, deploy_bpmn, settings, tmp_path):
    """`manage.py serve` without REDIS_URL (what `make run` starts) runs the notifications' tick in-process."""
    deploy_bpmn("office_work.bpmn")
    county_task()
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env.update(DATABASE_URL=database_url(settings), VAR_DIR=str(tmp_path), NOTIFY_INTERVAL="0.2",
               EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port))
    server = subprocess.Popen([sys.executable, "manage.py", "serve", f"127.0.0.1:{free_port()}", "--noreload"],
                              cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 30
        while len(smtp.mails) < 2 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "notifications.jobs.tick: in-process every 0.2s" in output
    assert subjects(m for _r, m in smtp.mails) == ["新待办：县级办理"] * 2, output[-3000:]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite a writer holds the database alone")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_committed_after_a_later_one_was_read_is_not_missed(people, smtp, deploy_bpmn):
    deploy_bpmn("office_work.bpmn")
    started, finish = threading.Event(), threading.Event()

    def slow_step():
        try:
            with transaction.atomic():
                api.start("county_work", data={"county": "520102"}, business_key="slow")
                started.set()
                finish.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_step)
    thread.start()
    assert started.wait(20)
    api.start("province_work", business_key="quick")  # its ids come after the slow step's, visible first
    tick()
    assert subjects(smtp.to("gz@example.gov.cn")) == ["新待办：省级办理"]
    assert not smtp.to("520102@example.gov.cn")
    finish.set()
    thread.join(20)
    tick()
    assert subjects(smtp.to("520102@example.gov.cn")) == ["新待办：县级办理"]
    tick()
    assert len(smtp.mails) == 3


@pytest.fixture
def worker_mail(smtp, monkeypatch):
    """The worker started next sends its mail to the test's SMTP server."""
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(smtp.port))
    return smtp


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                    reason="needs REDIS_URL and DATABASE_URL (the production path; CI sets both)")
def test_a_worker_sends_mail_and_webhooks_handed_to_it_through_redis(people, worker_mail, worker, deploy_bpmn):
    receiver = HTTPReceiver(default=(200, b"ok"))
    receiver.start()
    try:
        WebhookSubscription.objects.create(name="erp", url=receiver.url, secret="s", events=["task.created"])
        deploy_bpmn("office_work.bpmn")
        county_task()
        assert tick()["messages"] == 2 and WebhookDelivery.objects.count() == 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(worker_mail.mails) < 2 or not receiver.requests):
            time.sleep(0.2)
    finally:
        receiver.stop()
    assert subjects(m for _r, m in worker_mail.mails) == ["新待办：县级办理"] * 2
    assert [b["event"] for b in receiver.json_bodies()] == ["task.created"]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert WebhookDelivery.objects.get().state == "sent"
