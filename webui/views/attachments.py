"""Files uploaded for a task's form (engine.attachments stores them), served only to who may see the instance."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine import api
from engine.api import clock
from engine.errors import InvalidInput
from engine.models import Attachment
from workflows.visibility import can_see_instance

from .access import visible_task
from .navigation import back
from .tasks import may_work


def _refuse(request, task_id, message, status):
    if request.POST.get("next"):
        messages.error(request, message)
        return back(request, "webui:task", task_id=task_id)
    return JsonResponse({"error": message}, status=status)


@login_required
@require_POST
def upload(request, task_id):
    task = visible_task(request.user, task_id)
    if not may_work(request.user, task):
        return _refuse(request, task_id, _("只有办理这项任务的人可以上传附件。"), 403)
    upload = request.FILES.get("file")
    if upload is None:
        return _refuse(request, task_id, _("请选择要上传的文件。"), 400)
    try:
        attachment = api.upload_attachment(upload, upload.name, upload.content_type, instance=task.instance,
                                           task_id=task.pk, actor=request.user)
    except InvalidInput as error:
        return _refuse(request, task_id, error.errors["file"], 400)
    if request.POST.get("next"):
        messages.success(request, _("已上传“%(name)s”。") % {"name": attachment.name})
        return back(request, "webui:task", task_id=task_id)
    return JsonResponse({"id": str(attachment.pk), "name": attachment.name, "size": attachment.size,
                         "content_type": attachment.content_type, "sha256": attachment.sha256,
                         "uploaded_by": attachment.uploaded_by,
                         "uploaded_at": f"{attachment.uploaded_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M}"})


@login_required
def download(request, attachment_id):
    attachment = Attachment.objects.select_related("instance").defer("instance__serialized").filter(
        pk=attachment_id).first()
    if attachment is None or attachment.instance is None or not can_see_instance(request.user, attachment.instance):
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                        content_type=attachment.content_type or "application/octet-stream")
