import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy
from django_fsm import FSMField, transition

from .. import clock


class InstanceState:
    RUNNING = "running"      # has open human work
    WAITING = "waiting"      # waits only for timers or messages
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    CHOICES = [(s, s) for s in (RUNNING, WAITING, SUSPENDED, COMPLETED, CANCELLED, FAILED)]
    ACTIVE = (RUNNING, WAITING)
    OPEN = (RUNNING, WAITING, SUSPENDED, FAILED)
    # For people: pages and the engine's messages.
    LABELS = {RUNNING: gettext_lazy("办理中"), WAITING: gettext_lazy("等待中"), SUSPENDED: gettext_lazy("已挂起"),
              COMPLETED: gettext_lazy("已完成"), CANCELLED: gettext_lazy("已取消"), FAILED: gettext_lazy("出错")}


S = InstanceState


class ProcessInstanceQuerySet(models.QuerySet):
    def incidents(self, process=None, version=None, element=None, error=None):
        """Failed instances (runtime/incidents.py), most recent first, by definition key, version number,
        the BPMN id of the element that failed, and a piece of the error's text."""
        found = self.filter(state=S.FAILED)
        if process:
            found = found.filter(version__definition__key=process)
        if version:
            found = found.filter(version__number=version)
        if element:
            found = found.filter(error_element=element)
        if error:
            found = found.filter(error__icontains=error)
        return found.order_by("-updated_at", "pk")


class ProcessInstance(models.Model):
    """A running (or ended) process. The row is the lock every engine step takes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey("engine.DefinitionVersion", on_delete=models.PROTECT, related_name="instances",
                                db_index=False)  # (version, state) below serves it
    business_key = models.CharField(max_length=200, blank=True)
    # Whose definition versions it starts on (engine.directory.Directory.tenant_for); blank: the shared ones.
    tenant = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    state = FSMField(default=S.WAITING, choices=S.CHOICES, protected=False)
    started_by = models.CharField(max_length=150)
    started_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    # SpiffWorkflow state without its specs (they live on the version).
    serialized = models.TextField(blank=True)
    serializer_version = models.CharField(max_length=16, blank=True)
    # Copy of the workflow's data after each step, for lists and filters.
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # BPMN ids of the elements the instance currently waits at.
    current_elements = models.JSONField(default=list)
    # BPMN ids of every element the instance ever completed: its history, which the stored state drops.
    completed_elements = models.JSONField(default=list)
    # Whether timer and subscription rows may exist, so a step that has none skips looking.
    has_timer_rows = models.BooleanField(default=False)
    has_subscription_rows = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    error_element = models.CharField(max_length=200, blank=True)
    # How many times the failing step was tried before the instance failed (automatic retries included).
    error_attempts = models.PositiveSmallIntegerField(default=0)

    objects = ProcessInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        # Every step writes this row: plain indexes only where lists and the engine look rows up.
        # The lists' order, in any state or in one: a page without sorting them all.
        indexes = [models.Index(fields=["version", "state"]), models.Index(fields=["state", "started_at"]),
                   models.Index(fields=["business_key"]), models.Index(fields=["started_at"])]

    def __str__(self):
        return f"{self.version} #{self.business_key or self.id}"

    # Transitions; each is written to the audit trail by engine.audit, with its `audit` argument as data.
    @transition(field=state, source=[S.RUNNING, S.WAITING], target=S.RUNNING)
    def mark_running(self):
        pass

    @transition(field=state, source=[S.RUNNING, S.WAITING], target=S.WAITING)
    def mark_waiting(self):
        pass

    @transition(field=state, source=[S.RUNNING, S.WAITING], target=S.COMPLETED)
    def complete(self):
        self.ended_at = clock.now()

    @transition(field=state, source=[S.RUNNING, S.WAITING], target=S.FAILED)
    def fail(self, error, element, attempts=1, audit=None):
        self.error, self.error_element, self.error_attempts = error, element, attempts

    @transition(field=state, source=S.FAILED, target=S.WAITING)
    def retry(self, audit=None):
        self.error, self.error_element, self.error_attempts = "", "", 0

    @transition(field=state, source=[S.RUNNING, S.WAITING], target=S.SUSPENDED)
    def suspend(self, audit=None):
        pass

    @transition(field=state, source=S.SUSPENDED, target=S.WAITING)
    def resume(self, audit=None):
        pass

    @transition(field=state, source=[S.RUNNING, S.WAITING, S.SUSPENDED, S.FAILED], target=S.CANCELLED)
    def cancel(self, audit=None):
        self.ended_at = clock.now()
