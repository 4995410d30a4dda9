from django.db import models
from django.utils.translation import gettext_lazy
from django_fsm import FSMField, transition

from .. import clock


class MigrationJob(models.Model):
    """Moving running instances to another version of their definition, in the background.

    The counters are updated as each instance is done, so a page can show progress.
    """

    QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
    STATES = [(s, s) for s in (QUEUED, RUNNING, FINISHED, FAILED)]
    LABELS = {QUEUED: gettext_lazy("排队中"), RUNNING: gettext_lazy("进行中"), FINISHED: gettext_lazy("已完成"),
              FAILED: gettext_lazy("已失败")}

    definition = models.ForeignKey("engine.ProcessDefinition", on_delete=models.PROTECT, related_name="migration_jobs")
    target = models.ForeignKey("engine.DefinitionVersion", on_delete=models.PROTECT, related_name="+")
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(default=QUEUED, choices=STATES, protected=False, db_index=True)
    total = models.PositiveIntegerField(default=0)
    migrated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="refused as unsafe or not running any more")
    failed = models.PositiveIntegerField(default=0, help_text="an error while migrating; the instance kept its version")
    error = models.TextField(blank=True, help_text="why the job as a whole stopped")

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.definition} → v{self.target.number} ({self.state})"

    @property
    def processed(self):
        return self.migrated + self.skipped + self.failed

    @property
    def progress(self):
        """Share of the instances processed, 0.0 to 1.0."""
        return self.processed / self.total if self.total else 1.0

    @transition(field=state, source=QUEUED, target=RUNNING)
    def begin(self):
        self.started_at = clock.now()

    @transition(field=state, source=RUNNING, target=FINISHED)
    def finish(self):
        self.finished_at = clock.now()

    @transition(field=state, source=[QUEUED, RUNNING], target=FAILED)
    def abort(self, error):
        self.error = error
        self.finished_at = clock.now()


class MigrationItem(models.Model):
    """One instance of a migration job and what became of it."""

    PENDING, MIGRATED, SKIPPED, FAILED = "pending", "migrated", "skipped", "failed"
    STATES = [(s, s) for s in (PENDING, MIGRATED, SKIPPED, FAILED)]

    job = models.ForeignKey(MigrationJob, on_delete=models.CASCADE, related_name="items")
    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="migration_items")
    from_version = models.ForeignKey("engine.DefinitionVersion", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="the version the instance was on when processed")
    state = FSMField(default=PENDING, choices=STATES, protected=False, db_index=True)
    # Refusal reasons ({code, element, message}) or the error, and what the migration changed.
    reasons = models.JSONField(default=list)
    effects = models.JSONField(default=dict)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "instance"], name="unique_instance_per_migration_job")]

    @property
    def process_instance(self):
        """The engine instance, so the audit trail links this item's transitions to it."""
        return self.instance

    @transition(field=state, source=PENDING, target=MIGRATED)
    def mark_migrated(self, from_version, effects):
        self.from_version, self.effects, self.processed_at = from_version, effects, clock.now()

    @transition(field=state, source=PENDING, target=SKIPPED)
    def mark_skipped(self, from_version, reasons):
        self.from_version, self.reasons, self.processed_at = from_version, reasons, clock.now()

    @transition(field=state, source=PENDING, target=FAILED)
    def mark_failed(self, from_version, reasons):
        self.from_version, self.reasons, self.processed_at = from_version, reasons, clock.now()
