from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Social-work service lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import visibility  # noqa: F401  registers the data hook that keeps InstanceOffice in step
