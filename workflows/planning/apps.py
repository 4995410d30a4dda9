from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "workflows.planning"
    label = "planning"
    verbose_name = "Annual plans, service agreements and evaluations"
    default_auto_field = "django.db.models.BigAutoField"
