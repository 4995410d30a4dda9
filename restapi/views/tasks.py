"""Human tasks: the inbox by tab, one task, claim, release, reassign, delegate and hand back, its form and
completing it, its attachments and comments. Only tasks the user may see; another office's is not found."""
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engine import api
from engine.models import Attachment
from webui.views import attachments
from webui.views.access import visible_task
from webui.views.inbox import apply_filter, tab_queryset
from webui.views.tasks import may_work

from ..limits import JSONParser, MultiPartParser
from ..serializers import (AssigneeSerializer, AttachmentSerializer, CommentRequestSerializer, CommentSerializer,
                           DelegateSerializer, InboxFilterSerializer, ResolveSerializer, SubmissionSerializer,
                           TaskDetailSerializer, TaskFormSerializer, TaskSerializer, UploadSerializer)
from .base import STEP, ApiView, read, step_answer
from .instances import add_comment

TAGS = ["tasks"]
# Multipart framing and the form's other parts, beside the file itself.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


def task_answer(row, serializer_class=TaskSerializer):
    return Response(serializer_class(row).data)


class Inbox(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="The user's open tasks on an inbox tab, soonest due first",
                   description="Tabs: mine (open for the user's offices or claimed by the user), unclaimed, claimed, "
                               "overdue, soon (mine, due within three working days).",
                   parameters=[InboxFilterSerializer], responses=TaskSerializer(many=True))
    def get(self, request):
        given = read(InboxFilterSerializer, request.query_params)
        tasks = apply_filter(tab_queryset(request.user, given["tab"]), given)
        tasks = tasks.select_related("instance__version__definition").defer(
            "instance__serialized", "instance__version__spec_json").order_by("due_at", "created_at", "pk")
        return self.page_of(tasks, TaskSerializer)


class TaskDetail(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="One task", responses=TaskDetailSerializer)
    def get(self, request, task_id):
        return task_answer(visible_task(request.user, task_id), TaskDetailSerializer)


class Claim(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Take an open task of one's office", request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        return task_answer(api.claim(task.pk, actor=request.user))


class Release(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Give a claimed task back to its office (its assignee or a supervisor)",
                   request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        return task_answer(api.release(task.pk, actor=request.user))


class Reassign(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Hand a task to another person of its office (supervisors)",
                   request=AssigneeSerializer, responses=TaskSerializer)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        assignee = read(AssigneeSerializer, request.data)["assignee"]
        return task_answer(api.reassign(task.pk, assignee, actor=request.user))


class Delegate(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Delegate one's task to a colleague, to be handed back for confirming",
                   request=DelegateSerializer, responses=TaskSerializer)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        given = read(DelegateSerializer, request.data)
        return task_answer(api.delegate(task.pk, given["delegate"], actor=request.user, note=given["note"]))


class Resolve(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Hand a delegated task back with its form filled (the delegate)",
                   description="The form is checked as completing would check it; the delegator then completes it.",
                   request=ResolveSerializer, responses=TaskSerializer)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        given = read(ResolveSerializer, request.data)
        return task_answer(api.resolve_task(task.pk, given["data"], actor=request.user, note=given["note"]))


class Form(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="The task's form: its form-js schema and the data it is filled over",
                   responses=TaskFormSerializer)
    def get(self, request, task_id):
        form = api.task_form(visible_task(request.user, task_id, workflow=True))
        return Response(TaskFormSerializer(form).data)


class Complete(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Complete the task with its form's data, then run the instance on",
                   description="The form is validated on the server as on the task page: a wrong field answers 400 "
                               "with `errors` naming each field.",
                   request=SubmissionSerializer, responses=STEP)
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        data = read(SubmissionSerializer, request.data)["data"]
        result = api.complete_task(task.pk, data, actor=request.user)
        api.discard_drafts(task.pk)
        return Response(step_answer(result, result.task))


class TaskAttachments(ApiView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, JSONParser]

    @property
    def max_request_bytes(self):
        """An attachment may be as large as the pages take, and no larger."""
        return settings.ENGINE["MAX_ATTACHMENT_BYTES"] + UPLOAD_OVERHEAD_BYTES

    @extend_schema(tags=TAGS, summary="Files uploaded for the task", responses=AttachmentSerializer(many=True))
    def get(self, request, task_id):
        task = visible_task(request.user, task_id)
        return self.page_of(Attachment.objects.filter(task_id=task.pk).order_by("uploaded_at", "pk"),
                            AttachmentSerializer)

    @extend_schema(tags=TAGS, summary="Upload a file for the task's form (who works on the task)",
                   description="A file field of the form then names the attachment's id. Files larger than the "
                               "site's limit (MAX_ATTACHMENT_BYTES) are refused.",
                   request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer})
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        if not may_work(request.user, task):
            raise PermissionDenied(_("只有办理这项任务的人可以上传附件。"))
        upload = read(UploadSerializer, request.data)["file"]
        attachment = api.upload_attachment(upload, upload.name, upload.content_type, instance=task.instance,
                                           task_id=task.pk, actor=request.user)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class Download(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="An attachment's file",
                   responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, attachment_id):
        # The page's download: served only to who may see the instance (DRF set the user on the Django request).
        return attachments.download(request._request, attachment_id)


class TaskComments(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Comments on the task, oldest first", responses=CommentSerializer(many=True))
    def get(self, request, task_id):
        task = visible_task(request.user, task_id)
        return self.page_of(api.comments_on(task.instance, task).order_by("created_at", "id"), CommentSerializer)

    @extend_schema(tags=TAGS, summary="Comment on the task; @mentions reach people and offices",
                   request=CommentRequestSerializer, responses={201: CommentSerializer})
    def post(self, request, task_id):
        task = visible_task(request.user, task_id)
        return add_comment(request, task.instance, task)
