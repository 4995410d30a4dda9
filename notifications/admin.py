"""Operators' views: webhook subscriptions (edited here or with `manage.py webhooks`), the delivery log with
each attempt's status code, and the people's outbox; failed rows can be sent again."""
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from . import outbox
from .models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple,
                                       label=gettext_lazy("事件"))

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "events", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "events", "active", "created_at")
    list_filter = ("active",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description=gettext_lazy("重新发送所选的失败或已取消记录"))
def send_again(modeladmin, request, queryset):
    count = outbox.retry(queryset)
    modeladmin.message_user(request, ngettext("%(n)d 条记录将重新发送。", "%(n)d 条记录将重新发送。", count) % {"n": count},
                            messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "at", "status_code", "error", "milliseconds")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ("created_at", "subscription", "event", "state", "attempts", "status_code", "sent_at",
                    "next_attempt_at", "last_error")
    list_filter = ("state", "event", "subscription")
    search_fields = ("key",)
    readonly_fields = ("subscription", "event", "audit_event_id", "key", "state", "attempts", "status_code",
                       "response", "last_error", "sent_at", "next_attempt_at", "created_at", "body")
    exclude = ("claim", "claimed_at")
    inlines = [WebhookAttemptInline]
    actions = [send_again]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnly):
    list_display = ("created_at", "recipient", "channel", "subject", "state", "attempts", "sent_at",
                    "next_attempt_at", "last_error")
    list_filter = ("state", "channel")
    search_fields = ("recipient__username", "subject", "key")
    exclude = ("claim", "claimed_at")
    actions = [send_again]
