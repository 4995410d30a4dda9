from django.db import models
from django.utils.translation import gettext_lazy
from django_fsm import FSMField, transition

from .. import clock


class TaskState:
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CHOICES = [(s, s) for s in (OPEN, CLAIMED, COMPLETED, CANCELLED)]
    ACTIVE = (OPEN, CLAIMED)
    # For people: pages and the engine's messages.
    LABELS = {OPEN: gettext_lazy("待认领"), CLAIMED: gettext_lazy("已认领"), COMPLETED: gettext_lazy("已办结"),
              CANCELLED: gettext_lazy("已取消")}


T = TaskState


INBOX_TABS = ("mine", "unclaimed", "claimed", "overdue", "soon")


class Delegation:
    """A task handed to a delegate who does the work and hands it back to the delegator to confirm."""

    PENDING, RESOLVED = "pending", "resolved"
    CHOICES = [("", "—"), (PENDING, PENDING), (RESOLVED, RESOLVED)]
    LABELS = {PENDING: gettext_lazy("已委派"), RESOLVED: gettext_lazy("待确认")}


def is_overdue(state, due_at, now=None):
    """An open task past its due time: one due at 24:00 is overdue from 24:00 on. `overdue_condition` is the
    same rule in the database; the two must agree."""
    return state in T.ACTIVE and due_at is not None and due_at <= (now or clock.now())


def overdue_condition(now=None):
    """`is_overdue` as a condition on HumanTask rows, for filters and aggregates (`Count(..., filter=...)`)."""
    return models.Q(state__in=T.ACTIVE, due_at__lte=now or clock.now())


class HumanTaskQuerySet(models.QuerySet):
    """Which tasks are open, overdue or due soon: each rule written once, for every list and count."""

    def open(self):
        return self.filter(state__in=T.ACTIVE)

    def overdue(self, now=None):
        return self.filter(overdue_condition(now))

    def due_soon(self, until, now=None):
        """Open tasks not yet overdue that are due by `until`."""
        return self.open().filter(due_at__gt=now or clock.now(), due_at__lte=until)

    def inbox(self, offices, username, tab="mine", soon_until=None, now=None, standing_in=()):
        """The open tasks of `offices` that the inbox tab `tab` (one of INBOX_TABS) lists for `username`.

        mine: open for the office or claimed by the user; unclaimed; claimed (by the user); overdue (any of
        the offices'); soon: mine, due by `soon_until` and not yet overdue. `standing_in`: the people the
        user stands in for; their claimed tasks count as the user's (`offices` holds their offices too).
        """
        people = [username, *standing_in]
        tasks = self.open().filter(office__in=offices)
        mine = models.Q(state=T.OPEN) | models.Q(assignee__in=people)
        if tab == "unclaimed":
            return tasks.filter(state=T.OPEN)
        if tab == "claimed":
            return tasks.filter(state=T.CLAIMED, assignee__in=people)
        if tab == "overdue":
            return tasks.overdue(now)
        if tab == "soon":
            return tasks.filter(mine).due_soon(soon_until, now)
        return tasks.filter(mine)


class HumanTask(models.Model):
    """A user or manual task, mirrored from the workflow after each step so the inbox needs no workflow."""

    id = models.UUIDField(primary_key=True, help_text="SpiffWorkflow's task id")
    instance = models.ForeignKey("engine.ProcessInstance", on_delete=models.CASCADE, related_name="tasks",
                                 db_index=False)  # (instance, state) below serves it
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    lane = models.CharField(max_length=200, blank=True, help_text="the office role the lane names")
    office = models.CharField(max_length=64, blank=True, help_text="the concrete office's code")
    assignee = models.CharField(max_length=150, blank=True)
    form_id = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_provisional = models.BooleanField(default=False)
    deadline = models.JSONField(null=True, blank=True,
                                help_text="the declared deadline due_at follows: period, unit, from, basis, start day")
    state = FSMField(default=T.OPEN, choices=T.CHOICES, protected=False)
    created_at = models.DateTimeField(default=clock.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(max_length=150, blank=True)
    delegated_by = models.CharField(max_length=150, blank=True, help_text="who delegated it, to confirm it")
    delegation = models.CharField(max_length=10, blank=True, choices=Delegation.CHOICES)

    objects = HumanTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "created_at"]
        # Every step writes these rows: only the indexes the inbox and the engine read by.
        indexes = [models.Index(fields=["office", "state"]), models.Index(fields=["instance", "state"]),
                   models.Index(fields=["assignee", "state"]),
                   # Inboxes and overdue filters: the open tasks by due time, without reading the closed ones.
                   models.Index(fields=["due_at"], condition=models.Q(state__in=T.ACTIVE), name="open_tasks_by_due"),
                   # The open tasks of many instances (a province's dashboard): a probe into the open rows alone.
                   models.Index(fields=["instance"], condition=models.Q(state__in=T.ACTIVE),
                                name="open_tasks_by_instance")]

    # The fields a transition changes.
    TRANSITION_FIELDS = ("state", "assignee", "completed_at", "completed_by", "delegated_by", "delegation")

    def __str__(self):
        return f"{self.name} ({self.state})"

    @property
    def is_overdue(self):
        return is_overdue(self.state, self.due_at)

    @transition(field=state, source=T.OPEN, target=T.CLAIMED)
    def claim(self, username, audit=None):
        self.assignee = username

    @transition(field=state, source=T.CLAIMED, target=T.OPEN)
    def release(self):
        self.assignee = ""
        self.delegated_by, self.delegation = "", ""

    @transition(field=state, source=T.ACTIVE, target=T.CLAIMED)
    def reassign(self, username, audit=None):
        self.assignee = username
        self.delegated_by, self.delegation = "", ""

    @transition(field=state, source=T.ACTIVE, target=T.CLAIMED)
    def delegate(self, delegator, delegate, audit=None):
        self.assignee, self.delegated_by, self.delegation = delegate, delegator, Delegation.PENDING

    @transition(field=state, source=T.CLAIMED, target=T.CLAIMED)
    def resolve(self, audit=None):
        """The delegate hands the task back to the delegator, who confirms it."""
        self.assignee, self.delegation = self.delegated_by, Delegation.RESOLVED

    @transition(field=state, source=T.ACTIVE, target=T.COMPLETED)
    def complete(self, username, audit=None):
        self.completed_at = clock.now()
        self.completed_by = username

    @transition(field=state, source=T.ACTIVE, target=T.CANCELLED)
    def cancel(self):
        self.completed_at = clock.now()
