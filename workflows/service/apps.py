from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "workflows.service"
    label = "service"
    verbose_name = "Resident service at the stations"
    default_auto_field = "django.db.models.BigAutoField"
