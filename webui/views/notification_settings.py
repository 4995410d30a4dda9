"""One's own notification settings: e-mail, a messaging group's robot, a daily digest; and what was sent lately."""
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine.api import clock
from notifications import compose
from notifications.channels import robot_host_allowed
from notifications.models import Kind, Notification, NotificationSettings, RobotKind
from notifications.notices import notify

from ..page_forms import PageForm

RECENT = 20  # notifications listed on the page


class SettingsForm(PageForm):
    email_enabled = forms.BooleanField(required=False, label=gettext_lazy("通过电子邮件通知我"))
    email = forms.EmailField(required=False, label=gettext_lazy("接收邮箱"))
    robot_kind = forms.ChoiceField(required=False, label=gettext_lazy("群机器人"),
                                   choices=[("", gettext_lazy("不使用")), *RobotKind.choices])
    robot_url = forms.URLField(required=False, max_length=500, label=gettext_lazy("机器人 Webhook 地址"),
                               assume_scheme="https")
    robot_secret = forms.CharField(required=False, max_length=200, label=gettext_lazy("加签密钥（钉钉，可选）"),
                                   widget=forms.PasswordInput(render_value=False))
    clear_secret = forms.BooleanField(required=False, label=gettext_lazy("清除已保存的加签密钥"))
    digest = forms.BooleanField(required=False, label=gettext_lazy("每日汇总：每天一次汇总发送，不逐条发送"))

    def __init__(self, data, chosen):
        super().__init__(data, initial={
            "email_enabled": chosen.email_enabled, "email": chosen.email, "robot_kind": chosen.robot_kind,
            "robot_url": chosen.robot_url, "digest": chosen.digest})
        self.chosen = chosen
        self.fields["email"].widget.attrs["placeholder"] = chosen.user.email or _("账户未登记邮箱")

    def clean(self):
        data = super().clean()
        if data.get("email_enabled") and not (data.get("email") or self.chosen.user.email):
            self.add_error("email", _("请填写接收邮箱"))
        if data.get("robot_kind"):
            if not data.get("robot_url"):
                self.add_error("robot_url", _("请填写群机器人的 Webhook 地址"))
            elif not robot_host_allowed(data["robot_url"]):
                self.add_error("robot_url", _("只能填写以下服务的群机器人地址：%(hosts)s") % {
                    "hosts": "、".join(settings.NOTIFICATIONS["ROBOT_HOSTS"])})
        return data

    def save(self):
        data, chosen = self.cleaned_data, self.chosen
        for field in ("email_enabled", "email", "robot_kind", "robot_url", "digest"):
            setattr(chosen, field, data[field])
        if data["robot_secret"]:
            chosen.robot_secret = data["robot_secret"]
        elif data["clear_secret"]:
            chosen.robot_secret = ""
        chosen.save()


def _state(note):
    """How a notification went out, in words."""
    if note.digest == Notification.DIGEST_PENDING:
        return _("等待每日汇总")
    if note.digest == Notification.DIGESTED:
        return _("已在每日汇总中发送")
    sent = [f"{m.get_channel_display()}：{m.get_state_display()}" for m in note.messages.all()]
    return "；".join(sent) or _("未选择通知渠道")


@login_required
def page(request):
    chosen = NotificationSettings.of(request.user)
    form = SettingsForm(request.POST or None, chosen)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("通知设置已保存。"))
        return redirect("webui:notification-settings")
    recent = Notification.objects.filter(recipient=request.user).prefetch_related("messages")[:RECENT]
    return render(request, "webui/notification_settings.html", {
        "form": form, "chosen": chosen, "digest_hour": settings.NOTIFICATIONS["DIGEST_HOUR"],
        "recent": [(note, _state(note)) for note in recent]})


@require_POST
@login_required
def test(request):
    """Send a test message now on the channels chosen (at most one a minute)."""
    chosen = NotificationSettings.of(request.user)
    if not chosen.channels():
        messages.error(request, _("请先选择通知渠道并保存。"))
        return redirect("webui:notification-settings")
    subject, body, url = compose.test_message()
    notify([request.user], Kind.TEST, f"test:{clock.now():%Y%m%d%H%M}", subject, body, url, immediate=True)
    messages.success(request, _("测试通知已排队发送，请稍后查收。"))
    return redirect("webui:notification-settings")
