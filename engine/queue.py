"""Handing work to the background worker by job name (the jobs are in engine/jobs.py).

Steps enqueue jobs, and jobs call the API that runs steps: naming a job instead
of importing it keeps the engine's modules free of an import circle. A job is
enqueued once the step that asks for it has committed, so the worker sees the
step's rows; without Redis it runs at once in this process (eager mode).
"""
from celery import current_app
from django.db import transaction

DISPATCH_DUE_TIMERS = "engine.jobs.dispatch_due_timers"
ADVANCE_INSTANCES = "engine.jobs.advance_instances"
DELIVER_MESSAGE = "engine.jobs.deliver_message"
DELIVER_SIGNAL = "engine.jobs.deliver_signal"
RECOMPUTE_DUE_TIMES = "engine.jobs.recompute_due_times"
RUN_MIGRATION_JOB = "engine.jobs.run_migration_job"


def enqueue(job, *args):
    """Send job `job` (one of the names above) to the worker now."""
    current_app.tasks[job].delay(*args)


def enqueue_on_commit(job, *args):
    """Send job `job` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(job, *args))
