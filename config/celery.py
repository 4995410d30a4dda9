"""The Celery application: timers and background work.

With REDIS_URL set, tasks go to a worker through Redis and beat runs the timer
dispatcher. Without it, tasks run eagerly in the calling process and the
`serve` command runs the same dispatcher on a thread.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shegong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
