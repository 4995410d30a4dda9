from django.db import models

from .. import clock


class Timer(models.Model):
    """A timer event an instance waits on, with its due time, for the dispatcher to find."""

    WAITING, CLAIMED = "waiting", "claimed"
    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="timers")
    task_id = models.UUIDField(unique=True, help_text="SpiffWorkflow's id of the waiting timer task")
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()  # found by (state, due_at): every reader asks for waiting timers
    provisional = models.BooleanField(default=False, help_text="counted on a calendar year not loaded yet")
    armed_at = models.DateTimeField(help_text="when the instance began to wait, for recomputing the due time")
    state = models.CharField(max_length=8, default=WAITING, choices=[(WAITING, WAITING), (CLAIMED, CLAIMED)])
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        # The dispatcher finds due rows by the first, and claims that expired or wait too long by the second.
        indexes = [models.Index(fields=["state", "due_at"]), models.Index(fields=["state", "claimed_at"])]

    def __str__(self):
        return f"{self.bpmn_id} due {self.due_at:%Y-%m-%d %H:%M}"


class ScheduledStart(models.Model):
    """One occurrence of a timer start event: claimed once, by whichever dispatcher inserts it first.

    The (process, start event, moment) key makes a second dispatcher, or the same one after downtime,
    find it taken; `instances` and `error` say what it started, `skipped_by` who had it start nothing.
    """

    definition_key = models.CharField(max_length=200)
    # A tenant with versions of its own has its own schedule (engine/runtime/schedules.py); blank: the shared one.
    tenant = models.CharField(max_length=100, blank=True)
    element = models.CharField(max_length=200, help_text="the timer start event's BPMN id")
    occurrence_at = models.DateTimeField()
    started_at = models.DateTimeField(default=clock.now)
    instances = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    skipped_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["occurrence_at"]
        constraints = [models.UniqueConstraint(fields=["definition_key", "tenant", "element", "occurrence_at"],
                                               name="unique_scheduled_start")]
