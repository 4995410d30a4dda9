"""Comments on instances and tasks, with @mentions of people and offices that reach them.

Who may read an instance is the domain's rule: a page shows an instance's comments to whoever may see it,
and checks that everyone a comment mentions may see it too (`mentioned` says who they are first).
"""
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import audit
from ..directory import get_directory
from ..errors import InvalidInput, NotFound
from ..models import Comment, CommentMention, HumanTask, ProcessInstance
from .inputs import check_text

MAX_COMMENT_CHARS = 2000


def mentioned(text):
    """Who a comment's text names with @: [{"kind", "code", "label"}] (the directory decides)."""
    return get_directory().mentioned(text or "")


def add_comment(instance_id, text, actor=None, task_id=None):
    """Add `actor`'s comment to an instance (and one of its tasks); returns the Comment with its mentions.

    The history records it with the names it mentions."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": _("请填写意见内容")})
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput({"text": _("意见不能超过 %(n)s 个字") % {"n": MAX_COMMENT_CHARS}})
    check_text(text, "text")
    instance = ProcessInstance.objects.filter(pk=instance_id).first()
    if instance is None:
        raise NotFound(_("没有流程实例 %(id)s") % {"id": instance_id})
    task = None
    if task_id is not None:
        task = HumanTask.objects.filter(pk=task_id, instance=instance).first()
        if task is None:
            raise NotFound(_("流程实例中没有任务 %(id)s") % {"id": task_id})
    mentions = mentioned(text)
    with transaction.atomic(), audit.acting_as(actor):
        comment = Comment.objects.create(instance=instance, task=task, author=audit.current_actor(), text=text)
        CommentMention.objects.bulk_create([CommentMention(comment=comment, **m) for m in mentions])
        audit.record("comment.added", instance=instance, task_id=task.pk if task else None, data={
            "comment": text, "mentions": [m["label"] for m in mentions]})
    return comment


def comments_on(instance, task=None):
    """The comments of an instance (of one of its tasks when `task` is given), oldest first, with mentions."""
    found = Comment.objects.filter(instance=instance).prefetch_related("mentions")
    return found.filter(task=task) if task is not None else found


def mentions_of(username, offices):
    """Comments that mention the person or one of `offices`, newest first."""
    return (Comment.objects.filter(Q(mentions__kind=CommentMention.USER, mentions__code=username)
                                   | Q(mentions__kind=CommentMention.OFFICE, mentions__code__in=list(offices)))
            .distinct().select_related("instance", "task").order_by("-created_at", "-id"))
