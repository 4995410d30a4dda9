"""The system's work, run by the timer dispatcher and the worker's jobs (engine/jobs.py)."""
from .. import clock, instance_migration
from ..runtime import timers
from .schedules import start_scheduled


def dispatch_due_timers():
    """One dispatcher tick: claim due timers and hand their instances, deliverable messages and unfinished
    signals to the worker, and start what due timer start events start.

    Returns {"instances": n, "messages": n, "signals": n, "started": n}.
    """
    now = clock.now()
    work = timers.pending(now)
    handed = timers.dispatch(work, now)
    started = 0
    if work.starts:
        started = sum(row.instances for row in start_scheduled(now))
        timers.started_scheduled()
    return {**handed, "started": started}


def recompute_due_times(years):
    """After calendar years changed: move every pending due time whose period overlaps them; returns how many."""
    return timers.recompute_due_times(years)


def run_migration_job(job_id):
    """Migrate a job's pending instances one by one; safe to run again after an interruption."""
    return instance_migration.run_migration_job(job_id)
