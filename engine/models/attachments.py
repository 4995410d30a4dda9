import uuid

from django.db import models

from .. import clock


class Attachment(models.Model):
    """A file uploaded for a task's form; a form's file field holds attachment ids."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=255, help_text="the file name as uploaded")
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="attachments")
    task_id = models.UUIDField(null=True, blank=True, db_index=True)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.name

    @classmethod
    def uploaded_for(cls, instance, task_id, ids):
        """Of `ids` (text), those of attachments uploaded for this instance or this task: what its form may name."""
        found = cls.objects.filter(models.Q(instance=instance) | models.Q(task_id=task_id), pk__in=ids)
        return {str(pk) for pk in found.values_list("pk", flat=True)}
