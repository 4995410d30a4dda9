"""The channels a person is reached on: e-mail (Django's mail backend: SMTP in production) and a messaging
group's robot (企业微信 or 钉钉), both as the person's settings say when the message is sent."""
import hashlib
import json
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from . import http
from .models import Channel, NotificationSettings, RobotKind
from .outbox import Cancelled, Failed
from .signing import dingtalk_url

# A 企业微信 robot takes a text of at most 2048 bytes; 钉钉 more. Longer texts are cut to fit both.
ROBOT_TEXT_BYTES = 2000


def robot_host_allowed(url):
    """Only the messaging services' robot hosts (ROBOT_HOSTS) are posted to: a person's own setting must not
    make the server call anything else."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in settings.NOTIFICATIONS["ROBOT_HOSTS"]


def send(message):
    """Send an OutboxMessage on its channel; raises Failed to be tried again, Cancelled when switched off."""
    chosen = NotificationSettings.of(message.recipient)
    if message.channel not in chosen.channels():
        raise Cancelled(_("收件人已关闭该渠道"))
    if message.channel == Channel.EMAIL:
        _email(message, chosen.address)
    else:
        _robot(message, chosen)


def _email(message, address):
    # The same Message-ID on every attempt: a mail client shows a message that arrived twice once.
    domain = urlsplit(settings.NOTIFICATIONS["BASE_URL"]).hostname or "localhost"
    message_id = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@{domain}>"
    try:
        EmailMessage(message.subject, message.body, to=[address], headers={"Message-ID": message_id}).send()
    except Exception as err:  # noqa: BLE001 - smtplib and socket errors alike: tried again later
        raise Failed(f"{type(err).__name__}: {err}") from err


def _cut(text, limit):
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - len("……".encode())].decode(errors="ignore") + "……"


def _robot(message, chosen):
    if not robot_host_allowed(chosen.robot_url):
        raise Cancelled(_("群机器人地址不在允许的范围内"))
    content = _cut(f"{message.subject}\n{message.body}", ROBOT_TEXT_BYTES)
    body = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode()
    url = chosen.robot_url
    if chosen.robot_kind == RobotKind.DINGTALK and chosen.robot_secret:
        url = dingtalk_url(url, chosen.robot_secret, int(time.time() * 1000))
    try:
        status, answer = http.post(url, body, {"Content-Type": "application/json; charset=utf-8"})
    except http.Unreachable as err:
        raise Failed(str(err)) from err
    if status != 200:
        raise Failed(f"HTTP {status}")
    # Both answer {"errcode": 0, "errmsg": "ok"}; anything else (a limit reached, a bad key) did not send.
    try:
        reply = json.loads(answer)
    except ValueError:
        raise Failed(f"HTTP 200, not JSON: {answer[:200]!r}") from None
    if not isinstance(reply, dict) or reply.get("errcode") != 0:
        raise Failed(f"robot answered {str(reply)[:300]}")
