"""What each audit event means to people (notifications) and to other systems (webhooks)."""
import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from engine.api import clock
from engine.models import Comment, CommentMention, HumanTask, TaskState
from workflows.models import Membership

from . import compose, recipients, webhooks
from .models import Kind
from .notices import notify
from .supervision import is_supervision

log = logging.getLogger(__name__)
HANDLERS = {}


def handles(*actions):
    def register(function):
        for action in actions:
            HANDLERS[action] = function
        return function
    return register


def handle(events):
    """Tell people and other systems of each event, each part on its own: one that fails is logged and passed
    over, so it neither holds up the events after it nor takes the other part with it. Returns how many events."""
    for event in events:
        for part in (HANDLERS.get(event.action), webhooks.record):
            if part is None:
                continue
            try:
                with transaction.atomic():
                    part(event)
            except Exception:  # noqa: BLE001 - one bad event must not stop the reading for good
                log.exception("audit event %s (%s): %s failed", event.id, event.action, part.__name__)
    return len(events)


def _open_task(event):
    """The task an event concerns while it is still open: work done already needs no announcement."""
    return (HumanTask.objects.filter(pk=event.task_id, state__in=TaskState.ACTIVE)
            .select_related("instance__version__definition").first())


@handles("task.created")
def _task_created(event):
    task = _open_task(event)
    if task is None:
        return
    supervision = is_supervision(task)
    subject, body, url = compose.task_arrived(task, supervision)
    notify(recipients.for_task(task), Kind.SUPERVISION if supervision else Kind.TASK, f"audit:{event.id}", subject,
           body, url)


HANDED = {"task.delegate": Kind.DELEGATED, "task.reassign": Kind.REASSIGNED, "task.resolve": Kind.RESOLVED}


@handles(*HANDED)
def _task_handed(event):
    task, to = _open_task(event), event.data.get("to")
    if task is None or not to:
        return
    kind = HANDED[event.action]
    subject, body, url = compose.task_handed(kind, task, event.actor, event.data.get("note", ""))
    notify(recipients.people([to]).exclude(username=event.actor), kind, f"audit:{event.id}", subject, body, url)


@handles("comment.added")
def _comment_added(event):
    # The comment of this event: the audit row names its instance, task, author and text.
    comment = (Comment.objects.filter(instance_id=event.instance_id, task_id=event.task_id, author=event.actor,
                                      text=event.data.get("comment", ""))
               .select_related("instance__version__definition", "task").order_by("-id").first())
    if comment is None:
        return
    # A person named, and named again through their office, is told once (the key is per event and person).
    for mention in sorted(comment.mentions.all(), key=lambda m: m.kind != CommentMention.USER):
        if mention.kind == CommentMention.USER:
            users, office_code = recipients.people([mention.code]), ""
        else:
            users, office_code = recipients.office_people([mention.code]), mention.code
        subject, body, url = compose.mentioned(comment, office_code)
        notify(users.exclude(username=comment.author), Kind.MENTION, f"audit:{event.id}", subject, body, url)


@handles("substitution.set")
def _substitution_set(event):
    data = event.data
    substitute = get_user_model().objects.filter(username=data.get("substitute"), is_active=True)
    open_tasks = 0
    if data.get("starts_on", "") <= clock.today_in_china().isoformat():
        offices = Membership.objects.filter(user__username=data.get("absent")).values("office__code")
        open_tasks = HumanTask.objects.open().filter(office__in=offices).count()
    subject, body, url = compose.substitute_set(data, event.actor, open_tasks)
    notify(substitute, Kind.SUBSTITUTE, f"audit:{event.id}", subject, body, url)
