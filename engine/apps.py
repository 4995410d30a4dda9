from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "BPMN engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import audit, clock

        clock.install_into_spiffworkflow()
        audit.connect_fsm_signal()
        for module in settings.ENGINE.get("EXTENSIONS", []):
            import_module(module)
