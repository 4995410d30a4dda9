"""The Celery application: timers and background work.

With REDIS_URL set, tasks go to a worker through Redis and beat runs the timer
dispatcher. Without it, tasks run eagerly in the calling process and the
`serve` command runs the same dispatcher on a thread.

While a simulation shares its clock (engine.clock.publish), each
job sent carries the simulated moment, which the worker runs it at, and jobs
are counted from being sent to their end, so the simulation knows when the work
it handed out, and the work that work handed out, has drained (`in_flight`).
Jobs without a moment cost the worker no Redis round trip of their own.
"""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shegong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
app.autodiscover_tasks(["workflows.simulation"], related_name="jobs")

IN_FLIGHT = "jobs:in-flight"
SHARED_MOMENT = "shared_clock"  # the message header that carries the simulated moment
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


@signals.worker_init.connect
def _keep_database_connections(**_):
    """Celery's Django fixup closes the database connections before and after every job, so each job would
    open a new one (on PostgreSQL a new server process, its caches cold). Jobs keep them as Django's requests
    do instead: for CONN_MAX_AGE, unless one broke (_at_the_shared_moment, _count_finished)."""
    from celery.fixups.django import DjangoFixup

    for fixup in app._fixups:
        if isinstance(fixup, DjangoFixup):
            signals.task_prerun.disconnect(fixup.worker_fixup.on_task_prerun)
            signals.task_postrun.disconnect(fixup.worker_fixup.on_task_postrun)


@signals.task_prerun.connect
def _at_the_shared_moment(task=None, **_):
    if _on_a_worker(task):
        from django.db import close_old_connections

        from engine.api import clock

        close_old_connections()
        clock.follow(task.request.get(SHARED_MOMENT))


@signals.before_task_publish.connect
def _count_sent(headers=None, **_):
    from engine.api import clock

    moment = clock.shared_moment()
    if moment is not None:
        headers[SHARED_MOMENT] = moment
        redis().incr(IN_FLIGHT)


@signals.task_postrun.connect
def _count_finished(task=None, **_):
    if _on_a_worker(task):
        from django.db import close_old_connections

        from engine.api import clock

        close_old_connections()
        if clock.is_shared():
            redis().decr(IN_FLIGHT)
