from importlib import import_module

from django.apps import AppConfig
from django.conf import settings

from . import queue


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "BPMN engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import audit, clock, jobs, workcalendar  # noqa: F401 - jobs registers the Celery jobs by name

        clock.install_into_spiffworkflow()
        audit.connect_fsm_signal()
        workcalendar.calendar_changed.connect(_recompute_after_commit, dispatch_uid="engine.recompute")
        for module in settings.ENGINE.get("EXTENSIONS", []):
            import_module(module)


def _recompute_after_commit(sender, years, **kwargs):
    queue.enqueue_on_commit(queue.RECOMPUTE_DUE_TIMES, list(years))
