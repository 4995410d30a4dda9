"""Process definitions: the list, one's versions, and validating and deploying BPMN, DMN and form files."""
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engine import api
from engine.errors import InvalidDefinition
from engine.models import ProcessDefinition
from webui.views.modeler import bounded_validation as bounded_like_the_modeler

from ..permissions import OwnsProcesses, SeesDefinitions
from ..problems import STATUS_TITLES
from ..serializers import (FORM_SUFFIXES, DefinitionFilesSerializer, DefinitionSerializer,
                           DeploySerializer, DeployRequestSerializer, DeployUploadSerializer, ValidationSerializer,
                           VersionSerializer)
from .base import ApiView, read

TAGS = ["definitions"]
# Validating and deploying share the modeler's bounds: a few at a time per process, a few a minute per owner.
BUSY = {429: OpenApiResponse(description=str(STATUS_TITLES[429]))}


class DefinitionList(ApiView):
    permission_classes = [IsAuthenticated, SeesDefinitions]

    @extend_schema(tags=TAGS, summary="Deployed process definitions", responses=DefinitionSerializer(many=True))
    def get(self, request):
        tenant = api.bound_tenant(request.user)  # a province's office sees the shared versions and its own
        seen = Q(versions__tenant__in=["", tenant]) if tenant else Q()
        found = (ProcessDefinition.objects.annotate(latest_version=Max("versions__number", filter=seen),
                                                    pinned_number=F("pinned_version__number"))
                 .filter(latest_version__isnull=False).order_by("key"))
        return self.page_of(found, DefinitionSerializer)


class VersionList(ApiView):
    permission_classes = [IsAuthenticated, SeesDefinitions]
    pagination_class = None  # a definition has tens of versions, not thousands

    @extend_schema(tags=TAGS, summary="Versions of one definition the caller sees, newest first",
                   description="The shared versions and every tenant's; a caller bound to a tenant (a province's "
                               "office) sees the shared versions and its own, and which is current for it.",
                   parameters=[OpenApiParameter("tenant", str, description="which version is current and pinned "
                                                "for this tenant (callers bound to none)")],
                   responses=VersionSerializer(many=True))
    def get(self, request, key):
        history = api.version_history(key, actor=request.user, tenant=request.query_params.get("tenant") or None)
        return Response(VersionSerializer(history, many=True).data)


def submitted_files(request, serializer_class):
    """(files, forms, validated data) from a JSON body or a multipart upload of files."""
    if request.content_type.startswith("multipart/"):
        upload = read(DeployUploadSerializer, request.data)
        files, forms = {}, {}
        for part in upload["files"]:
            try:
                text = part.read().decode("utf-8")
            except UnicodeDecodeError:
                raise serializers.ValidationError({"files": _("文件“%(name)s”不是 UTF-8 文本。") % {
                    "name": part.name}}) from None
            (forms if part.name.endswith(FORM_SUFFIXES) else files)[part.name] = text
        data = {"files": files, "forms": forms, "note": upload["note"], "tenant": upload["tenant"]}
    else:
        data = request.data
    checked = read(serializer_class, data)
    return checked["files"], checked["forms"], checked


FILES_REQUEST = {"application/json": DefinitionFilesSerializer, "multipart/form-data": DeployUploadSerializer}


class Validate(ApiView):
    permission_classes = [IsAuthenticated, OwnsProcesses]

    @extend_schema(tags=TAGS, summary="Validate diagrams, decisions and forms as deploying would",
                   description="Errors stop a deployment; lint warnings do not. Each problem names its file, line, "
                               "message and element, as `bpmn validate` and the modeler do.",
                   request=FILES_REQUEST, responses={200: ValidationSerializer, **BUSY})
    def post(self, request):
        return bounded_like_the_modeler(self._validate)(request)

    def _validate(self, request):
        files, forms, _checked = submitted_files(request, DefinitionFilesSerializer)
        warnings = api.lint(files)
        try:
            processes = api.validate(files, forms)
        except InvalidDefinition as err:
            return Response({"valid": False, "processes": [],
                             "problems": [p.as_dict() for p in [*err.problems, *warnings]]})
        return Response({"valid": True, "processes": processes, "problems": [w.as_dict() for w in warnings]})


class Deploy(ApiView):
    permission_classes = [IsAuthenticated, OwnsProcesses]

    @extend_schema(tags=TAGS, summary="Deploy a new version of each process whose content changed",
                   description="Invalid files answer 400 with the `problems`, and nothing is deployed. Content "
                               "equal to a deployed version (at most its layout differs) is listed as unchanged.",
                   request={"application/json": DeployRequestSerializer,
                            "multipart/form-data": DeployUploadSerializer},
                   responses={201: DeploySerializer, 200: DeploySerializer, **BUSY})
    def post(self, request):
        return bounded_like_the_modeler(self._deploy)(request)

    def _deploy(self, request):
        files, forms, checked = submitted_files(request, DeployRequestSerializer)
        result = api.deploy(files, forms, note=checked["note"], actor=request.user, tenant=checked.get("tenant"))
        return Response(DeploySerializer(result).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
