from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .. import clock


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the audit trail is append-only")

    def delete(self):
        raise TypeError("the audit trail is append-only")


class AuditEvent(models.Model):
    """One state change of an instance, a task or a domain record: who, when, what."""

    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="username, or 'system'")
    action = models.CharField(max_length=64)
    instance = models.ForeignKey(
        "engine.ProcessInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    task_id = models.UUIDField(null=True, blank=True)
    # A domain record, named by its model label and primary key.
    record_type = models.CharField(max_length=100, blank=True)
    record_id = models.CharField(max_length=64, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit trail is append-only")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
