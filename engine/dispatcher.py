"""The embedded timer dispatcher: the beat schedule's job, on a thread of the web process."""
import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from . import api

log = logging.getLogger(__name__)


class DispatcherThread(threading.Thread):
    def __init__(self, interval=None):
        super().__init__(name="timer-dispatcher", daemon=True)
        self.interval = interval or float(settings.CELERY_BEAT_SCHEDULE["dispatch-due-timers"]["schedule"])
        self.stopping = threading.Event()

    def run(self):
        # The first tick fires what fell due while the product was down.
        while not self.stopping.is_set():
            try:
                api.dispatch_due_timers()
            except Exception:  # noqa: BLE001 - a failing tick must not stop the next one
                log.exception("timer dispatch failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
