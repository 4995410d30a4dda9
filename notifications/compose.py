"""The words of each notification: a subject and a plain-text body that stands on its own in a mail or a chat,
with a link to the page where the work is done. Written in the site's language (Simplified Chinese)."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from webui.deadlines import shown
from webui.offices import office_names

from .models import Kind
from .supervision import WORD

# What a comment's excerpt may take of a notification.
EXCERPT_CHARS = 300


def link(path):
    return settings.NOTIFICATIONS["BASE_URL"].rstrip("/") + path


def person(username):
    """A person as the pages name them: their full name, else their username."""
    user = get_user_model().objects.filter(username=username).first()
    return (user.get_full_name() or user.get_username()) if user else username


def office(code):
    return office_names({code}).get(code, code) if code else ""


def process(instance):
    version = instance.version
    name = version.name or version.definition.name or version.definition.key
    return f"{name}（{instance.business_key}）" if instance.business_key else name


def _task_details(task):
    lines = [_("任务：%(task)s") % {"task": task.name}, _("流程：%(process)s") % {"process": process(task.instance)}]
    if task.office:
        lines.append(_("办理单位：%(office)s") % {"office": office(task.office)})
    if task.due_at:
        lines.append(_("办理期限：%(due)s") % {"due": shown(task.due_at)})
    lines.append(_("办理：%(url)s") % {"url": link(reverse("webui:task", args=[task.pk]))})
    return "\n".join(lines)


def _task_notice(task, subject, opening):
    return subject, f"{opening}\n\n{_task_details(task)}", link(reverse("webui:task", args=[task.pk]))


def task_arrived(task, supervision=False):
    """(subject, body, url) of a new task for an office or a person."""
    if supervision:
        subject = task.name if WORD in task.name else _("督办：%(task)s") % {"task": task.name}
        opening = _("%(office)s收到督办任务“%(task)s”：办理期限已过，请督促办理并记录督办情况。")
    else:
        subject = _("新待办：%(task)s") % {"task": task.name}
        opening = _("%(office)s有一项新的待办任务“%(task)s”。")
    return _task_notice(task, subject, opening % {"office": office(task.office), "task": task.name})


def task_handed(kind, task, actor, note=""):
    """(subject, body, url) of a task delegated, reassigned or handed back to someone by `actor`."""
    subjects = {Kind.DELEGATED: _("委派任务：%(task)s"), Kind.REASSIGNED: _("转交任务：%(task)s"),
                Kind.RESOLVED: _("委派任务已交回：%(task)s")}
    openings = {Kind.DELEGATED: _("%(actor)s 将任务“%(task)s”委派给您办理，办完后请交回其确认。"),
                Kind.REASSIGNED: _("%(actor)s 将任务“%(task)s”转交给您办理。"),
                Kind.RESOLVED: _("%(actor)s 已办完您委派的任务“%(task)s”并交回，请确认后提交。")}
    values = {"task": task.name, "actor": person(actor)}
    opening = openings[kind] % values
    if note:
        opening += "\n" + _("说明：%(note)s") % {"note": note[:EXCERPT_CHARS]}
    return _task_notice(task, subjects[kind] % values, opening)


def due_reminder(kind, task):
    """(subject, body, url) of a task due soon or overdue."""
    values = {"task": task.name, "due": shown(task.due_at)}
    if kind == Kind.OVERDUE:
        return _task_notice(task, _("已逾期：%(task)s") % values,
                            _("任务“%(task)s”已于 %(due)s 到期，尚未办结。") % values)
    return _task_notice(task, _("即将到期：%(task)s") % values,
                        _("任务“%(task)s”将于 %(due)s 到期，请抓紧办理。") % values)


def mentioned(comment, office_code=""):
    """(subject, body, url) of a comment that names the recipient, or their office."""
    values = {"actor": person(comment.author), "office": office(office_code), "process": process(comment.instance)}
    subject = (_("%(actor)s 在意见中提到了%(office)s") if office_code else _("%(actor)s 在意见中提到了您")) % values
    text = comment.text if len(comment.text) <= EXCERPT_CHARS else comment.text[:EXCERPT_CHARS] + "……"
    if comment.task_id:
        where = _("任务：%(task)s") % {"task": comment.task.name}
        url = link(reverse("webui:task", args=[comment.task_id]))
    else:
        where = _("流程：%(process)s") % values
        url = link(reverse("webui:instance", args=[comment.instance_id]))
    body = "\n".join([_("%(actor)s 在“%(process)s”中写道：") % values, text, "", where,
                      _("查看：%(url)s") % {"url": url}])
    return subject, body, url


def substitute_set(data, actor, open_tasks):
    """(subject, body, url) for the person made a substitute: whose work they now see, and for how long."""
    values = {"absent": person(data.get("absent", "")), "actor": person(actor),
              "start": data.get("starts_on", ""), "end": data.get("ends_on", ""), "n": open_tasks}
    body = _("%(actor)s 设置您在 %(start)s 至 %(end)s 期间代理 %(absent)s 的工作：期间其单位的待办任务出现在"
             "您的待办中，由您以自己的名义代为办理。") % values
    if open_tasks:
        body += "\n" + _("其单位目前有 %(n)d 项待办任务。") % values
    url = link(reverse("webui:inbox"))
    body += "\n\n" + _("待办：%(url)s") % {"url": url}
    return _("代理设置：代理 %(absent)s") % values, body, url


def test_message():
    url = link(reverse("webui:notification-settings"))
    return _("测试通知"), _("这是一条测试通知：您在通知设置中选择的渠道能收到消息。") + "\n\n" + url, url


def digest(day, notifications, limit):
    """(subject, body) of the digest of `notifications` (oldest first) made on `day`: at most `limit` listed."""
    total = len(notifications)
    lines = [_("%(day)s 通知汇总：共 %(n)d 条。") % {"day": day.isoformat(), "n": total}, ""]
    for number, note in enumerate(notifications[:limit], start=1):
        lines.append(f"{number}. [{Kind(note.kind).label}] {note.subject}")
        if note.url:
            lines.append(f"   {note.url}")
    if total > limit:
        lines += ["", _("另有 %(n)d 条，请到待办中查看。") % {"n": total - limit}]
    return _("每日汇总：%(n)d 条通知（%(day)s）") % {"n": total, "day": day.isoformat()}, "\n".join(lines)
