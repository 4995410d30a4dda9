"""The Celery application: timers and background work.

With REDIS_URL set, tasks go to a worker through Redis and beat runs the timer
dispatcher. Without it, tasks run eagerly in the calling process and the
`serve` command runs the same dispatcher on a thread.

While a simulation shares its clock through Redis (engine.clock.publish), every
worker runs each job at the simulated moment, and jobs are counted from being
sent to their end, so the simulation knows when the work it handed out, and the
work that work handed out, has drained (`in_flight`).
"""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shegong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
app.autodiscover_tasks(["workflows.simulation"], related_name="jobs")

IN_FLIGHT = "jobs:in-flight"
_redis = []


def redis():
    """The Redis the broker is on (a client per process)."""
    if not _redis:
        import redis as client
        from django.conf import settings

        _redis.append(client.Redis.from_url(settings.REDIS_URL))
    return _redis[0]


def in_flight():
    """Jobs sent while the clock was shared and not finished yet."""
    return int(redis().get(IN_FLIGHT) or 0)


def _on_a_worker(task):
    from django.conf import settings

    return bool(settings.REDIS_URL) and not task.request.is_eager


@signals.task_prerun.connect
def _at_the_shared_moment(task=None, **_):
    if _on_a_worker(task):
        from engine.api import clock

        clock.follow(redis())


@signals.before_task_publish.connect
def _count_sent(**_):
    from engine.api import clock

    if clock.is_shared():
        redis().incr(IN_FLIGHT)


@signals.task_postrun.connect
def _count_finished(task=None, **_):
    from engine.api import clock

    if _on_a_worker(task) and clock.is_shared():
        redis().decr(IN_FLIGHT)
