"""Process instances: start, the filtered list, one instance, its control, migration, history, comments and
attachments. Only what the user may see (workflows.visibility); another office's instance is not found."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engine import api
from engine.errors import InvalidInput
from engine.models import Attachment, AuditEvent, HumanTask
from webui.views.access import listed_instances, visible_instance
from webui.views.instances import CONTROLS, filter_instances
from workflows.visibility import instances_visible_to, naming
from workflows.visibility import unseeing_mentions as unseeing

from ..permissions import ControlsInstances, OwnsProcesses, may_start
from ..problems import MIGRATION_REFUSED, Problem
from ..serializers import (AttachmentSerializer, CommentRequestSerializer, CommentSerializer,
                           EventSerializer, InstanceDetailSerializer, InstanceFilterSerializer, InstanceSerializer,
                           MigrateSerializer, MigrationPlanSerializer, ReasonSerializer, StartSerializer)
from .base import STEP, ApiView, read, step_answer

TAGS = ["instances"]


def detail(instance):
    tasks = list(HumanTask.objects.open().filter(instance=instance).order_by("created_at", "pk"))
    for task in tasks:
        task.instance = instance
    instance.open_tasks = tasks
    return InstanceDetailSerializer(instance).data


class InstanceList(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Instances the user may see, newest first", parameters=[InstanceFilterSerializer],
                   responses=InstanceSerializer(many=True))
    def get(self, request):
        given = read(InstanceFilterSerializer, request.query_params)
        # The instance pages' filters where they mean the same; the rest are the API's.
        found = filter_instances(instances_visible_to(request.user, listed_instances(), latest_first=True), given)
        if given.get("state"):
            found = found.filter(state=given["state"])
        if given.get("station"):
            found = found.filter(naming("station", given["station"]))
        if given.get("business_key"):
            found = found.filter(business_key=given["business_key"])
        return self.page_of(found, InstanceSerializer)

    @extend_schema(tags=TAGS, summary="Start an instance of a definition's current version",
                   description="The data must name the offices it concerns (county, station, ...), each one the "
                               "user sees; the province's departments start any.",
                   request=StartSerializer, responses={201: STEP})
    def post(self, request):
        given = read(StartSerializer, request.data)
        if not may_start(request.user, given["data"]):
            raise PermissionDenied(_("只能为本单位可见的县、社工站或单位发起流程：请在数据中写明它们的代码。"))
        result = api.start(given["process"], business_key=given["business_key"], data=given["data"],
                           actor=request.user)
        return Response(step_answer(result), status=status.HTTP_201_CREATED)


class InstanceDetail(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="One instance: its data, current elements and open tasks",
                   responses=InstanceDetailSerializer)
    def get(self, request, instance_id):
        return Response(detail(visible_instance(request.user, instance_id)))


class InstanceControl(ApiView):
    """Suspend, resume, cancel or retry (`control`), with a reason, as a process owner does on the instance page."""

    permission_classes = [IsAuthenticated]
    control = None

    @extend_schema(tags=TAGS, summary="Suspend, resume, cancel or retry the instance, as its path says (owners)",
                   request=ReasonSerializer, responses=STEP)
    def post(self, request, instance_id):
        instance = visible_instance(request.user, instance_id)
        if not ControlsInstances().has_permission(request, self):
            raise PermissionDenied(ControlsInstances.message)
        reason = read(ReasonSerializer, request.data)["reason"]
        return Response(step_answer(CONTROLS[self.control](instance.pk, actor=request.user, reason=reason)))


class Migrate(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Move the instance to another version of its definition (process owners)",
                   description="With dry_run, only says what it would do. An unsafe migration is refused (409, "
                               "with the reasons) and nothing changes.",
                   request=MigrateSerializer, responses=MigrationPlanSerializer)
    def post(self, request, instance_id):
        instance = visible_instance(request.user, instance_id)
        if not OwnsProcesses().has_permission(request, self):
            raise PermissionDenied(OwnsProcesses.message)
        given = read(MigrateSerializer, request.data)
        if given["dry_run"]:
            plans = api.preview_migration(instance.version.definition.key, given["to_version"],
                                          instances=[instance.pk], actor=request.user, tenant=instance.tenant)
            return Response(plans[0])
        plan = api.migrate_instance(instance.pk, given["to_version"], actor=request.user).as_dict()
        if not plan["safe"]:
            raise Problem(409, MIGRATION_REFUSED, plan["error"] or "；".join(r["message"] for r in plan["reasons"]),
                          reasons=plan["reasons"])
        return Response(plan)


class History(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="The instance's audit trail, oldest first", responses=EventSerializer(many=True))
    def get(self, request, instance_id):
        instance = visible_instance(request.user, instance_id)
        return self.page_of(AuditEvent.objects.filter(instance=instance).order_by("at", "id"), EventSerializer)


class InstanceAttachments(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Files uploaded for the instance's tasks",
                   responses=AttachmentSerializer(many=True))
    def get(self, request, instance_id):
        instance = visible_instance(request.user, instance_id)
        return self.page_of(Attachment.objects.filter(instance=instance).order_by("uploaded_at", "pk"),
                            AttachmentSerializer)


def add_comment(request, instance, task=None):
    """A comment by the user; refused when it mentions someone who cannot see the instance, as on the pages."""
    text = read(CommentRequestSerializer, request.data)["text"]
    hidden = unseeing(api.mentioned(text), instance)
    if hidden:
        raise InvalidInput({"text": _("%(names)s 看不到这个流程，不能提及") % {"names": "、".join(hidden)}})
    comment = api.add_comment(instance.pk, text, actor=request.user, task_id=task.pk if task else None)
    return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class InstanceComments(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Comments on the instance and its tasks, oldest first",
                   responses=CommentSerializer(many=True))
    def get(self, request, instance_id):
        instance = visible_instance(request.user, instance_id)
        return self.page_of(api.comments_on(instance).order_by("created_at", "id"), CommentSerializer)

    @extend_schema(tags=TAGS, summary="Comment on the instance; @mentions reach people and offices",
                   request=CommentRequestSerializer, responses={201: CommentSerializer})
    def post(self, request, instance_id):
        return add_comment(request, visible_instance(request.user, instance_id))
