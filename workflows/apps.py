from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Social-work service lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Register the hooks that keep InstanceOffice and the compliance counts in step with the instances.
        from . import compliance, visibility  # noqa: F401
