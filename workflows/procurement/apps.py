from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "workflows.procurement"
    label = "procurement"
    verbose_name = "Provincial procurement"
    default_auto_field = "django.db.models.BigAutoField"
