"""The embedded dispatcher: Celery beat's schedule played on threads of the web process, one per entry, so a
slow job (a mail server that does not answer) never holds up the timers."""
import logging
import threading

from celery import current_app
from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


class DispatcherThread(threading.Thread):
    """Runs the job of one CELERY_BEAT_SCHEDULE entry in this process every `schedule` seconds."""

    def __init__(self, entry="dispatch-due-timers", interval=None):
        super().__init__(name=f"beat-{entry}", daemon=True)
        self.job = settings.CELERY_BEAT_SCHEDULE[entry]["task"]
        self.interval = interval or float(settings.CELERY_BEAT_SCHEDULE[entry]["schedule"])
        self.stopping = threading.Event()

    def run(self):
        # The first tick does what fell due while the product was down.
        while not self.stopping.is_set():
            try:
                current_app.tasks[self.job]()
            except Exception:  # noqa: BLE001 - a failing tick must not stop the next one
                log.exception("%s failed", self.job)
            finally:
                close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()


def start_embedded():
    """Start a DispatcherThread for every beat entry; returns them."""
    threads = [DispatcherThread(entry) for entry in settings.CELERY_BEAT_SCHEDULE]
    for thread in threads:
        thread.start()
    return threads
