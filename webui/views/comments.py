"""Comments on an instance or one of its tasks, and the comments that mention the user or their offices."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine import api
from engine.errors import EngineError
from engine.models import ProcessInstance
from workflows.visibility import instances_visible_to, unseeing_mentions

from .access import visible_instance, visible_task
from .navigation import back

MENTIONS_SHOWN = 10


def _add(request, instance, task=None):
    text = request.POST.get("text", "")
    hidden = unseeing_mentions(api.mentioned(text), instance)
    if hidden:
        messages.error(request, _("意见未发表：%(names)s 看不到这个流程，不能提及") % {"names": "、".join(hidden)})
        return
    try:
        api.add_comment(instance.pk, text, actor=request.user, task_id=task.pk if task else None)
        messages.success(request, _("意见已发表。"))
    except EngineError as err:
        messages.error(request, _("意见未发表：%(error)s") % {"error": err})


@login_required
@require_POST
def on_task(request, task_id):
    task = visible_task(request.user, task_id)
    _add(request, task.instance, task)
    return back(request, "webui:task", task_id)


@login_required
@require_POST
def on_instance(request, instance_id):
    _add(request, visible_instance(request.user, instance_id))
    return back(request, "webui:instance", instance_id)


def mentioning(user):
    """The latest comments that mention the user or one of their offices, on instances they see."""
    offices, _standing_in = api.working_offices(user)
    latest = list(api.mentions_of(user.get_username(), offices)[:MENTIONS_SHOWN * 5])
    visible = set(instances_visible_to(user, ProcessInstance.objects.filter(
        pk__in=[c.instance_id for c in latest])).values_list("pk", flat=True))
    return [c for c in latest if c.instance_id in visible][:MENTIONS_SHOWN]
