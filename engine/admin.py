"""Read-only admin views of the engine's rows, for operators until the web pages cover them.

Changes go through the engine's API (which locks and audits); the admin never edits.
"""
from django.contrib import admin

from .models import AuditEvent, DefinitionVersion, HumanTask, Message, ProcessDefinition, ProcessInstance, Timer


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnly):
    list_display = ("key", "name", "pinned_version")
    search_fields = ("key", "name")


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(ReadOnly):
    list_display = ("definition", "number", "tenant", "deployed_by", "deployed_at", "note")
    list_filter = ("definition", "tenant")
    exclude = ("spec_json",)


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnly):
    list_display = ("id", "version", "tenant", "business_key", "state", "current_elements", "started_at",
                    "updated_at")
    list_filter = ("state", "version__definition")
    search_fields = ("business_key",)
    exclude = ("serialized",)


@admin.register(HumanTask)
class HumanTaskAdmin(ReadOnly):
    list_display = ("name", "office", "assignee", "state", "due_at", "created_at", "completed_by")
    list_filter = ("state", "lane", "office")


@admin.register(Timer)
class TimerAdmin(ReadOnly):
    list_display = ("bpmn_id", "instance", "due_at", "provisional", "state")
    list_filter = ("state", "provisional")


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ("name", "correlation", "state", "sent_at", "delivered_to")
    list_filter = ("state", "name")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly):
    list_display = ("at", "actor", "action", "instance", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("actor", "action")
