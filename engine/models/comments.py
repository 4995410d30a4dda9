from django.db import models

from .. import clock


class Comment(models.Model):
    """A remark on an instance, or on one of its tasks, beside the forms' own opinion fields."""

    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="comments")
    task = models.ForeignKey("engine.HumanTask", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="comments")
    author = models.CharField(max_length=150)
    text = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"


class CommentMention(models.Model):
    """A person or an office a comment names with @, so the comment reaches them."""

    USER, OFFICE = "user", "office"
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    kind = models.CharField(max_length=10, choices=[(USER, USER), (OFFICE, OFFICE)])
    code = models.CharField(max_length=150, help_text="the username or the office code")
    label = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["kind", "code"])]

    def __str__(self):
        return f"@{self.label}"
