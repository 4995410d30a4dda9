import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy

from engine.api import clock


def now():
    """The engine's clock, named here so that migrations refer to this app and not to the engine's insides."""
    return clock.now()


class Kind(models.TextChoices):
    """What a notification is about."""

    TASK = "task", gettext_lazy("新待办")
    SUPERVISION = "supervision", gettext_lazy("督办")
    DELEGATED = "delegated", pgettext_lazy("notification", "委派")
    REASSIGNED = "reassigned", pgettext_lazy("notification", "转交")
    RESOLVED = "resolved", gettext_lazy("委派交回")
    SUBSTITUTE = "substitute", gettext_lazy("代理")
    DUE_SOON = "due_soon", pgettext_lazy("notification", "即将到期")
    OVERDUE = "overdue", pgettext_lazy("notification", "已逾期")
    MENTION = "mention", gettext_lazy("提及")
    TEST = "test", gettext_lazy("测试")


class Channel(models.TextChoices):
    EMAIL = "email", gettext_lazy("电子邮件")
    ROBOT = "robot", gettext_lazy("群机器人")


class RobotKind(models.TextChoices):
    WECOM = "wecom", gettext_lazy("企业微信")
    DINGTALK = "dingtalk", gettext_lazy("钉钉")


class NotificationSettings(models.Model):
    """How one person is reached. Without a row: e-mail to the account's address, one message at a time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_settings")
    email_enabled = models.BooleanField(default=True)
    email = models.EmailField(blank=True, help_text="where mail goes; empty: the account's address")
    robot_kind = models.CharField(max_length=10, blank=True, choices=RobotKind.choices,
                                  help_text="empty: no group robot")
    robot_url = models.URLField(max_length=500, blank=True)
    robot_secret = models.CharField(max_length=200, blank=True, help_text="DingTalk's signing secret (加签)")
    digest = models.BooleanField(default=False, help_text="one digest a day instead of single messages")
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def of(cls, user):
        """The user's settings, or the defaults (unsaved) when they never chose."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    @property
    def address(self):
        return self.email or self.user.email

    def channels(self):
        """The channels a message goes out on now."""
        found = []
        if self.email_enabled and self.address:
            found.append(Channel.EMAIL)
        if self.robot_kind and self.robot_url:
            found.append(Channel.ROBOT)
        return found


class Notification(models.Model):
    """One thing one person is told, once: its key names the event and the person."""

    SINGLE, DIGEST_PENDING, DIGESTED = "", "pending", "digested"
    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)
    digest = models.CharField(max_length=10, blank=True, choices=[
        (SINGLE, "single"), (DIGEST_PENDING, DIGEST_PENDING), (DIGESTED, DIGESTED)])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "created_at"]), models.Index(fields=["digest", "created_at"])]

    def __str__(self):
        return self.subject


class OutboundState(models.TextChoices):
    PENDING = "pending", gettext_lazy("待发送")
    SENDING = "sending", gettext_lazy("发送中")
    SENT = "sent", gettext_lazy("已发送")
    FAILED = "failed", gettext_lazy("发送失败")
    CANCELLED = "cancelled", gettext_lazy("已取消")


class Outbound(models.Model):
    """A row of an outbox: sent by a job that claims it (outbox.py), tried again later when sending fails.

    `key` makes writing it twice write it once. `claim` grows with every claim: a sender records its result
    only while its claim stands, and a claim whose sender vanished expires after the lease.
    """

    key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=OutboundState.choices, default=OutboundState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claim = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="%(class)s_due")]


class OutboxMessage(Outbound):
    """A message to a person on one channel: one notification, or the day's digest of theirs."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="messages", help_text="empty for a digest")
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta(Outbound.Meta):
        verbose_name = gettext_lazy("通知发件箱")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.channel} → {self.recipient}: {self.subject}"


class EventCursor(models.Model):
    """How far the audit trail has been read (cursor.py): every id up to `position`, but the `gaps`."""

    name = models.CharField(max_length=50, unique=True)
    position = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True, help_text="[[id, first missed at, unix seconds], ...]")


class TaskReminder(models.Model):
    """A due date that was announced as near or past (reminders.py), once per task, kind and due time."""

    DUE_SOON, OVERDUE = Kind.DUE_SOON, Kind.OVERDUE
    task_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=[(DUE_SOON, DUE_SOON), (OVERDUE, OVERDUE)])
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task_id", "kind", "due_at"], name="unique_task_reminder")]


class WebhookEvent(models.TextChoices):
    """What another system may subscribe to, and the audit action it comes from (webhooks.ACTIONS)."""

    INSTANCE_STARTED = "instance.started", gettext_lazy("流程实例启动")
    INSTANCE_COMPLETED = "instance.completed", gettext_lazy("流程实例完成")
    INSTANCE_FAILED = "instance.failed", gettext_lazy("流程实例出错")
    TASK_CREATED = "task.created", gettext_lazy("任务创建")
    TASK_COMPLETED = "task.completed", gettext_lazy("任务办结")
    MESSAGE_RECEIVED = "message.received", pgettext_lazy("notification", "收到消息")


def new_secret():
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """Another system's URL that is told of the events it names, signed with its secret."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, default=new_secret)
    events = models.JSONField(default=list, help_text="WebhookEvent values")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("Webhook 订阅")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.name


class WebhookDelivery(Outbound):
    """One event for one subscription: its body as first written, and how sending it went."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    audit_event_id = models.BigIntegerField(db_index=True)
    body = models.TextField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="of the last attempt")
    response = models.TextField(blank=True, help_text="the beginning of the last answer")

    class Meta(Outbound.Meta):
        verbose_name = gettext_lazy("Webhook 投递记录")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.event} → {self.subscription}"


class WebhookAttempt(models.Model):
    """One try at a delivery: when, the answer's status code or the error, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    milliseconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
