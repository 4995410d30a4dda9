"""Migrating running instances to another version: choose them, preview each, start a job, watch it."""
from functools import wraps

from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from engine import api
from engine.errors import InvalidInput, NotFound
from engine.models import MigrationJob, ProcessInstance
from engine.models import InstanceState

from .json_views import json_answers, json_body
from .modeler_access import or_404, owner_required, viewer_required

# The instance states a page may filter on.
STATES = InstanceState.OPEN


def _owner_only(view):
    """The owners' pages of a definition that exists; others are refused with a 403 page, not JSON."""
    @viewer_required
    @owner_required(gettext_lazy("只有省民政厅的流程负责人可以迁移实例。"))
    @wraps(view)
    def checked(request, key, *args, **kwargs):
        or_404(api.get_definition, key)
        return view(request, key, *args, **kwargs)

    return checked


def _number(value, what):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput({what: _("必须是版本号（整数）")}) from None


def _selection(key, request):
    """(target number, from number, instances) from a page's choice, the request's JSON body.

    Instance ids pick those instances; a state or business-key filter picks the matching
    instances; nothing picks every open instance not on the target (on `from` when given).
    """
    body = json_body(request)
    to_number = _number(body.get("to"), "to")
    if to_number is None:
        raise InvalidInput({"to": _("请选择目标版本")})
    from_number = _number(body.get("from"), "from")
    ids = [i.strip() for i in str(body.get("ids") or "").replace(",", "\n").split("\n") if i.strip()]
    if ids:
        return to_number, from_number, ids
    state, business_key = body.get("state") or "", str(body.get("business_key") or "").strip()
    if state and state not in STATES:
        raise InvalidInput({"state": _("未知的实例状态：%(state)s") % {"state": state}})
    if not state and not business_key:
        return to_number, from_number, None
    target = api.get_version(key, to_number, actor=request.user)
    query = ProcessInstance.objects.filter(version__definition__key=key, state__in=[state] if state else STATES)
    query = query.exclude(version=target)
    if business_key:
        query = query.filter(business_key__icontains=business_key)
    return to_number, from_number, query


def _jobs(request):
    """The migration jobs the user may follow: a province's owner, those to its own versions and those it asked for."""
    tenant = api.bound_tenant(request.user)
    if not tenant:
        return MigrationJob.objects.all()
    return MigrationJob.objects.filter(Q(target__tenant=tenant) | Q(requested_by=request.user.get_username()))


def _tenant(request):
    """The province whose instances a migration to a shared version moves (None: those on shared versions)."""
    return str(json_body(request).get("tenant") or "") or None


@_owner_only
def page(request, key):
    definition = api.get_definition(key)
    history = api.version_history(key, actor=request.user)
    jobs = _jobs(request).filter(definition=definition).select_related("target").defer("target__spec_json")[:10]
    return render(request, "webui/modeler/migration.html", {
        "definition": definition,
        "versions": history,
        "jobs": jobs,
        "states": STATES,
        "tenants": {} if api.bound_tenant(request.user) else api.tenants(),
        "page": {
            "urls": {
                "preview": reverse("webui:modeler_migration_preview", kwargs={"key": key}),
                "start": reverse("webui:modeler_migration_start", kwargs={"key": key}),
                "job": reverse("webui:modeler_migration_job", kwargs={"key": key, "job_id": 0}),
            },
            "job": request.GET.get("job"),
        },
    })


# The views below answer engine errors as JSON a page can show (json_answers).
@_owner_only
@require_POST
@json_answers
def preview(request, key):
    to_number, from_number, instances = _selection(key, request)
    plans = api.preview_migration(key, to_number, from_number=from_number, instances=instances, actor=request.user,
                                  tenant=_tenant(request))
    return JsonResponse({"plans": plans})


@_owner_only
@require_POST
@json_answers
def start(request, key):
    to_number, from_number, instances = _selection(key, request)
    job = api.start_migration(key, to_number, from_number=from_number, instances=instances, actor=request.user,
                              tenant=_tenant(request))
    return JsonResponse({"job": job.pk,
                         "status": reverse("webui:modeler_migration_job", kwargs={"key": key, "job_id": job.pk})})


@_owner_only
@require_GET
@json_answers
def job(request, key, job_id):
    status = api.job_status(job_id)
    if status["key"] != key or not _jobs(request).filter(pk=job_id).exists():
        raise NotFound(_("没有迁移任务 %(id)s") % {"id": job_id})
    return JsonResponse(status)
