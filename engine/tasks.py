"""Celery tasks: the timer dispatcher and the work it hands out."""
from celery import shared_task

from . import api, migration
from .runtime import timers


@shared_task(name="engine.tasks.dispatch_due_timers")
def dispatch_due_timers():
    """Run by beat: claim due timers, advance their instances, retry deliverable messages."""
    instance_ids = timers.claim_due_timers()
    for instance_id in instance_ids:
        advance_instance.delay(str(instance_id))
    message_ids = timers.deliverable_messages()
    for message_id in message_ids:
        deliver_message.delay(str(message_id))
    return {"instances": len(instance_ids), "messages": len(message_ids)}


@shared_task(name="engine.tasks.advance_instance", acks_late=True)
def advance_instance(instance_id):
    api.advance_instance(instance_id)


@shared_task(name="engine.tasks.deliver_message", acks_late=True)
def deliver_message(message_id):
    return api.deliver_message(message_id)


@shared_task(name="engine.tasks.recompute_due_times")
def recompute_due_times(years):
    return timers.recompute_due_times(years)


@shared_task(name="engine.tasks.run_migration_job")
def run_migration_job(job_id):
    job = migration.run_migration_job(job_id)
    return {"state": job.state, "migrated": job.migrated, "skipped": job.skipped, "failed": job.failed}
