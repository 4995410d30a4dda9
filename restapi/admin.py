from django.contrib import admin, messages

from .models import ApiToken
from .tokens import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made with `manage.py apitoken create` (which shows the token once); here they are seen and
    revoked."""

    list_display = ["name", "office", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = ["office__kind"]
    search_fields = ["name", "office__code", "office__name"]
    readonly_fields = ["name", "office", "user", "created_at", "created_by", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail names the token: revoke it instead

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for row in queryset:
            revoke_token(row.name, by=request.user.get_username())
        self.message_user(request, f"{queryset.count()} token(s) revoked", messages.SUCCESS)
