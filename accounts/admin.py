from django.contrib import admin

from .models import SignOnIdentity


@admin.register(SignOnIdentity)
class SignOnIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "subject", "issuer", "linked_at", "last_sign_on"]
    search_fields = ["user__username", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["linked_at", "last_sign_on"]
