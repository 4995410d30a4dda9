"""The production path: a real Celery worker and beat-style dispatch through Redis fire a timer."""
import os
import subprocess
import sys
import time
import pytest
from django.conf import settings

from engine import api
from engine.api import clock
from engine.models import AuditEvent, ProcessInstance, Timer
from engine.api import dispatch_due_timers

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                       reason="needs REDIS_URL and DATABASE_URL (the production path; CI sets both)"),
]


@pytest.fixture
def worker(settings):
    """A worker process on the test database, consuming from Redis."""
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"test-{os.getpid()}"
    env["CELERY_QUEUE"] = queue
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    from config.celery import app

    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5, destination=None):
                break
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
        yield proc
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
        app.conf.task_default_queue = "celery"
        print(output[-4000:])


def test_worker_fires_a_due_timer_from_redis(deploy_bpmn, worker):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    deploy_bpmn("quick_timer.bpmn")
    instance = api.start("quick_timer").instance
    timer = Timer.objects.get(instance=instance)
    assert dispatch_due_timers()["instances"] == 0, "not due yet"
    time.sleep(max(0.0, (timer.due_at - clock.now()).total_seconds()) + 0.2)
    assert dispatch_due_timers()["instances"] == 1  # claims the row and sends the advance through Redis
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ProcessInstance.objects.get(pk=instance.pk).state != "completed":
        time.sleep(0.2)
    instance = ProcessInstance.objects.get(pk=instance.pk)
    assert instance.state == "completed" and instance.data["fired"] is True
    assert AuditEvent.objects.filter(instance=instance, action="timer.fired").count() == 1
    assert not Timer.objects.filter(instance=instance).exists()
    assert dispatch_due_timers()["instances"] == 0, "a fired timer is not dispatched again"
