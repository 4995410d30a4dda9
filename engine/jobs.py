"""Celery jobs: the timer dispatcher and the work it hands out. Each calls one engine.api function."""
from celery import shared_task

from . import api, queue
from .errors import StepFailed


@shared_task(name=queue.DISPATCH_DUE_TIMERS)
def dispatch_due_timers():
    """Run by beat: claim due timers, advance their instances, retry deliverable messages."""
    return api.dispatch_due_timers()


@shared_task(name=queue.ADVANCE_INSTANCES, acks_late=True)
def advance_instances(instance_ids):
    """Advance each instance in its own step: one job for a chunk of the instances a tick claimed timers of
    costs the queue one message instead of one each."""
    for instance_id in instance_ids:
        try:
            api.advance_instance(instance_id)
        except StepFailed:
            pass  # recorded on the instance as an incident: running the job again would fail the same way


@shared_task(name=queue.DELIVER_MESSAGE, acks_late=True)
def deliver_message(message_id):
    """True when an instance took the message."""
    try:
        return api.deliver_message(message_id) is not None
    except StepFailed:
        return False  # recorded as an incident; the message waits for the instance's retry


@shared_task(name=queue.DELIVER_SIGNAL, acks_late=True)
def deliver_signal(signal_id):
    """How many instances caught the signal or were started by it."""
    return len(api.deliver_signal(signal_id))


@shared_task(name=queue.RECOMPUTE_DUE_TIMES)
def recompute_due_times(years):
    return api.recompute_due_times(years)


@shared_task(name=queue.RUN_MIGRATION_JOB)
def run_migration_job(job_id):
    job = api.run_migration_job(job_id)
    return {"state": job.state, "migrated": job.migrated, "skipped": job.skipped, "failed": job.failed}
