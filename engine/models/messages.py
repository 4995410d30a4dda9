import uuid

from django.db import models

from .. import clock


# What a Message row or a subscription is: a message goes to one instance and waits for it; a signal goes
# to every instance waiting when it is thrown, and waits for none.
MESSAGE, SIGNAL = "message", "signal"
KINDS = [(MESSAGE, MESSAGE), (SIGNAL, SIGNAL)]


class Message(models.Model):
    """A message sent to whichever instance waits for it, kept until one does; or a signal thrown, kept
    until it has reached every instance that waited for it then (`delivered`)."""

    PENDING, DELIVERED = "pending", "delivered"
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, default=MESSAGE, choices=KINDS)
    name = models.CharField(max_length=200, db_index=True)
    correlation = models.JSONField(default=dict)
    payload = models.JSONField(default=dict)
    sender = models.CharField(max_length=150)
    sender_instance = models.ForeignKey(
        "engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_messages"
    )
    # A signal's tenant (engine.directory.Directory.tenant_for): only instances of that tenant catch it, "" those
    # of none; null for a signal every tenant's instances catch (and for a message).
    tenant = models.CharField(max_length=100, null=True, blank=True)
    sent_at = models.DateTimeField(default=clock.now)
    state = models.CharField(max_length=10, default=PENDING, choices=[(PENDING, PENDING), (DELIVERED, DELIVERED)])
    delivered_to = models.ForeignKey(
        "engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL, related_name="received_messages"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at"]
        # The dispatcher's tick looks for pending messages and signals, oldest first, among every one ever sent.
        indexes = [models.Index(fields=["name", "state"]), models.Index(fields=["kind", "state", "sent_at"])]

    def __str__(self):
        return f"{self.name} {self.correlation} ({self.state})"


class MessageSubscription(models.Model):
    """A message or signal catch event an instance waits at, with the correlation a message must have."""

    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(max_length=8, default=MESSAGE, choices=KINDS)
    task_id = models.UUIDField()
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, db_index=True)
    correlation = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["task_id", "name"], name="unique_subscription")]

    def matches(self, correlation: dict) -> bool:
        """Every property this catch expects must be in the message with the same value."""
        return all(key in correlation and correlation[key] == value for key, value in self.correlation.items())
