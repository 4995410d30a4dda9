from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .. import clock


class TaskDraft(models.Model):
    """What a person has typed into an open task's form and not submitted yet: one per person and task."""

    task = models.ForeignKey("engine.HumanTask", on_delete=models.CASCADE, related_name="drafts")
    user = models.CharField(max_length=150, help_text="the username of whoever typed it")
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    saved_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_draft_per_person_and_task")]

    def __str__(self):
        return f"{self.user}: {self.task_id}"
