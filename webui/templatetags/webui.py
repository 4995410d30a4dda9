"""Template helpers shared by the pages."""
from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from engine.api import SYSTEM
from engine.models import InstanceState, MigrationJob, TaskState
from workflows.directory import membership_facts

from .. import deadlines
from ..data_view import render_data
from ..event_labels import EVENT_LABELS
from ..people import full_name, name_of
from ..permissions import can_control_instances, has_dashboard, works_for_social_org
from ..views.emergencies import held_deployments
from ..views.modeler_access import is_process_owner

register = template.Library()


@register.simple_tag
def nav_links(request):
    """The main menu's links after the inbox, each marked when it is the current page."""
    links = [(reverse("webui:instances"), _("流程实例")), (reverse("webui:substitutes"), _("代理设置"))]
    links.append((reverse("webui:notification-settings"), _("通知设置")))
    # Told by the user's memberships, read once for the whole page.
    if has_dashboard(request.user):
        links.append((reverse("webui:dashboard"), _("看板")))
    if is_process_owner(request.user):
        links.append((reverse("webui:modeler_definitions"), _("流程设计")))
    if can_control_instances(request.user):
        links.append((reverse("webui:incidents"), _("故障")))
    if works_for_social_org(request.user):
        links.append((reverse("webui:challenges"), _("质疑")))
        links.append((reverse("webui:complaints"), _("投诉")))
        if held_deployments(request.user).exists():
            links.append((reverse("webui:emergency-report"), _("报告突发事件")))
    return format_html_join("", '<a href="{}"{}>{}</a>', (
        (url, mark_safe(' aria-current="page"') if request.path.startswith(url) else "", label)
        for url, label in links))


@register.simple_tag
def user_offices(user):
    return "、".join(name for _code, _kind, name, _owner in membership_facts(user))


@register.simple_tag
def workdays_text(days, state):
    """Working days left, in words: n left, due today, or late (by n working days)."""
    if state == "late":
        return _("逾期 %(n)d 个工作日") % {"n": -days} if days < 0 else _("已逾期")
    if days > 0:
        return _("剩 %(n)d 个工作日") % {"n": days}
    if days == 0:
        return _("今日到期")
    return _("已逾期")


@register.simple_tag
def event_text(event, task_names=None):
    """An audit event in words: the action, and the task it concerns when known."""
    label = str(EVENT_LABELS.get(event.action, event.action))
    name = (task_names or {}).get(event.task_id) if event.task_id else None
    if event.action.startswith("message."):
        name = event.data.get("name")  # the message's name says what it carried
    if event.action in ("task.reassign", "task.delegate", "task.resolve") and event.data.get("to"):
        label = f"{label} → {actor(event.data['to'])}"
    if event.data.get("on_behalf_of"):
        label = _("%(what)s（代 %(user)s）") % {"what": label, "user": actor(event.data["on_behalf_of"])}
    return f"{label}：{name}" if name else label


@register.filter
def actor(who):
    """A person as the pages name them (a user or a username): their full name, else their username; the
    engine's own steps (timers, started by a handler) are the system's."""
    if who == SYSTEM:
        return _("系统")
    if not who:
        return ""
    if isinstance(who, str):
        return name_of(who)
    return full_name(who)


@register.filter
def deadline(moment):
    """A due time as deadlines are written (webui/deadlines.py)."""
    return deadlines.shown(moment)

@register.filter
def process_data(data, labels=None):
    """Process data as a definition list, rows as tables (webui/data_view.py)."""
    return conditional_escape(render_data(data, labels))


@register.filter
def task_state(state):
    return TaskState.LABELS.get(state, state)


@register.filter
def instance_state(state):
    return InstanceState.LABELS.get(state, state)


@register.filter
def job_state(state):
    return MigrationJob.LABELS.get(state, state)
