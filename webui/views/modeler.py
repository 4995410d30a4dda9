"""The modeler: edit a version's diagram, decisions and forms in the browser, validate them, deploy a new
version; try a decision table on sample inputs."""
import json
import threading
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine import api
from engine.errors import InvalidDefinition
from engine.models import DefinitionVersion, ProcessDefinition

from .json_views import BadRequest, json_answers, json_body
from .modeler_access import is_process_owner, or_404, owner_required, viewer_required
from .modeler_drafts import discard_draft, new_process, save_draft, working_copy


def _version(request, key, number):
    """The version being edited, or the new process `key` of this session as version 0."""
    if number == 0:
        created = new_process(request, key)
        if created is None:
            raise Http404(_("没有正在新建的流程 %(key)s") % {"key": key})
        return created
    return or_404(api.get_version, key, number, actor=request.user)


def _json_view(view):
    """A POST view answering JSON; bad input answers 400 with a message, not an error page."""
    return viewer_required(require_POST(json_answers(view)))


# Changing a definition, and validating one, is the owners' (others are refused with JSON: _json_view wraps the
# check).
_owner_only = owner_required(gettext_lazy("只有省民政厅的流程负责人可以修改和部署流程定义。"))


# Validating parses the whole diagram and its specs: a few at a time per process, and a few a minute per owner,
# keep a web process's memory bounded whoever sends them.
_validating = threading.BoundedSemaphore(settings.MODELER_PARALLEL_VALIDATIONS)


def bounded_validation(view):
    """Refuse (429) a validation past the owner's rate or while the process runs as many as it may."""
    @wraps(view)
    def checked(request, *args, **kwargs):
        minute = int(time.time() // 60)
        key = f"modeler-validations:{request.user.pk}:{minute}"
        cache.add(key, 0, timeout=120)
        if cache.incr(key) > settings.MODELER_VALIDATIONS_PER_MINUTE:
            raise BadRequest(_("验证过于频繁，请一分钟后再试。"), status=429)
        if not _validating.acquire(blocking=False):
            raise BadRequest(_("正在验证的流程图较多，请稍后再试。"), status=429)
        try:
            return view(request, *args, **kwargs)
        finally:
            _validating.release()

    return checked


def _submitted_bpmn(body):
    bpmn = body.get("bpmn")
    if not isinstance(bpmn, str) or not bpmn.strip():
        raise BadRequest(_("缺少流程图（bpmn）。"))
    return bpmn


def _submitted_dmn(body):
    dmn = body.get("dmn")
    if not isinstance(dmn, str) or not dmn.strip():
        raise BadRequest(_("缺少决策表（dmn）。"))
    return dmn


def _submitted_decisions(body):
    """The decision files of a draft, {file name: DMN text}, each no larger than a diagram may be."""
    decisions = body.get("decisions") or {}
    if not isinstance(decisions, dict) or not all(isinstance(v, str) for v in decisions.values()):
        raise BadRequest(_("决策表（decisions）必须是“文件名: DMN 文本”的对象。"))
    bad = [name for name in decisions if not name.endswith(".dmn") or name == ".dmn" or "/" in name or "\\" in name]
    if bad:
        raise BadRequest(_("决策表文件名必须以 .dmn 结尾且不含路径：%(names)s") % {"names": "、".join(bad)})
    limit = settings.ENGINE["MAX_BPMN_BYTES"]
    large = [name for name, text in decisions.items() if len(text.encode("utf-8")) > limit]
    if large:
        raise BadRequest(_("决策表超过 %(limit)s 字节的上限：%(names)s") % {"limit": limit, "names": "、".join(large)},
                         status=413)
    return decisions


def _decision_urls(key, number, file_name="FILE_NAME"):
    """The decision editor's and its endpoints' URLs (FILE_NAME stands for any file, for the page's script)."""
    kwargs = {"key": key, "number": number, "file_name": file_name}
    return {name: reverse(f"webui:modeler_decision{suffix}", kwargs=kwargs)
            for name, suffix in (("decisionEditor", ""), ("decisionInputs", "_inputs"), ("decisionTry", "_try"))}


@viewer_required
def definitions(request):
    """Every deployed definition with its latest version (shared, or their province's own) and the one new instances
    of the user's province start on; for those who see every province's, which provinces have their own."""
    tenant = api.bound_tenant(request.user)
    # Their province's or shared, the newest; for those bound to none, the newest shared (a province's when only
    # provinces have one).
    visible = DefinitionVersion.objects.filter(definition=OuterRef("definition"))
    newest = (visible.filter(tenant__in=["", tenant]).order_by("-number") if tenant
              else visible.order_by("tenant", "-number")).values("pk")[:1]
    latest = {v.definition_id: v for v in DefinitionVersion.objects.defer("spec_json").filter(pk=Subquery(newest))}
    own = {}
    if not tenant:
        labels = api.tenants()
        for definition_id, whose in (DefinitionVersion.objects.exclude(tenant="").values_list("definition_id", "tenant")
                                     .distinct().order_by("tenant")):
            own.setdefault(definition_id, []).append(labels.get(whose, whose))
    rows = [{"definition": d, "latest": latest[d.pk], "current": api.start_version(d.key, tenant),
             "provinces": own.get(d.pk, [])} for d in ProcessDefinition.objects.all() if d.pk in latest]
    return render(request, "webui/modeler/definitions.html", {
        "rows": rows, "tenant_label": api.tenant_label(tenant), "can_create": is_process_owner(request.user)})


def _deploys_for(request):
    """(tenant, label) the user's deployments go to: their province's own versions when they are bound to one, else
    the province chosen with ?tenant= (the shared versions without it)."""
    tenant = api.bound_tenant(request.user) or request.GET.get("tenant", "")
    known = api.tenants()
    if tenant not in known:
        tenant = ""
    return tenant, known.get(tenant) or _("共用版本（各省未自行部署时使用）")


@viewer_required
def editor(request, key, number):
    version = _version(request, key, number)
    copy = working_copy(request, version)
    base = {"key": key, "number": number}
    tenant, tenant_label = _deploys_for(request)
    deploy_url = reverse("webui:modeler_deploy", kwargs=base) + (f"?tenant={tenant}" if tenant else "")
    page = {
        "fileName": copy.file_name,
        "xml": copy.bpmn,
        "edited": copy.edited,
        "canDeploy": is_process_owner(request.user),
        "roles": [{"value": code, "label": label} for code, label in api.lane_roles().items()],
        "services": api.service_names(),
        "forms": sorted(json.loads(text).get("id", "") for text in copy.forms.values()),
        "decisions": copy.decision_files(),
        "urls": {
            "decisionEditor": _decision_urls(key, number)["decisionEditor"],
            "validate": reverse("webui:modeler_validate", kwargs=base),
            "deploy": deploy_url,
            "draft": reverse("webui:modeler_draft", kwargs=base),
            "discard": reverse("webui:modeler_discard", kwargs=base),
            "formEditor": reverse("webui:modeler_form", kwargs={**base, "form_id": "FORM_ID"}),
            "history": reverse("webui:modeler_history", kwargs={"key": key}),
        },
    }
    return render(request, "webui/modeler/editor.html", {
        "version": version, "page": page, "deploy_tenant": tenant, "deploy_label": tenant_label,
        "tenants": api.tenants() if page["canDeploy"] and not api.bound_tenant(request.user) else {}})


@viewer_required
def form_editor(request, key, number, form_id):
    version = _version(request, key, number)
    copy = working_copy(request, version)
    file_name = copy.form_file(form_id)
    schema = json.loads(copy.forms[file_name]) if file_name else {
        "id": form_id, "type": "default", "components": [], "schemaVersion": 16}
    base = {"key": key, "number": number}
    page = {
        "formId": form_id,
        "fileName": file_name or f"{form_id}.form",
        "schema": schema,
        "canSave": is_process_owner(request.user),
        "urls": {"draft": reverse("webui:modeler_draft", kwargs=base),
                 "modeler": reverse("webui:modeler", kwargs=base)},
    }
    return render(request, "webui/modeler/form_editor.html", {"version": version, "page": page})


@viewer_required
def decision_editor(request, key, number, file_name):
    version = _version(request, key, number)
    copy = working_copy(request, version)
    if file_name not in copy.decisions:
        raise Http404(_("没有决策表文件 %(name)s") % {"name": file_name})
    base = {"key": key, "number": number}
    urls = _decision_urls(key, number, file_name)
    page = {
        "fileName": file_name,
        "xml": copy.decisions[file_name],
        "canSave": is_process_owner(request.user),
        "urls": {"draft": reverse("webui:modeler_draft", kwargs=base), "modeler": reverse("webui:modeler", kwargs=base),
                 "inputs": urls["decisionInputs"], "try": urls["decisionTry"]},
    }
    return render(request, "webui/modeler/decision_editor.html", {"version": version, "page": page})


@_json_view
@_owner_only
def draft(request, key, number):
    """Keep edits of the diagram, decisions and/or forms in the session until deployment."""
    version = _version(request, key, number)
    body = json_body(request)
    bpmn, forms = body.get("bpmn"), body.get("forms") or {}
    decisions = _submitted_decisions(body)
    if bpmn is not None and not isinstance(bpmn, str):
        raise BadRequest(_("流程图（bpmn）必须是 XML 文本。"))
    if not isinstance(forms, dict) or not all(isinstance(v, str) for v in forms.values()):
        raise BadRequest(_("表单（forms）必须是“文件名: JSON 文本”的对象。"))
    bad = [name for name in forms if not name.endswith(".form") or "/" in name]
    if bad:
        raise BadRequest(_("表单文件名必须以 .form 结尾且不含路径：%(names)s") % {"names": "、".join(bad)})
    save_draft(request, version, bpmn=bpmn, decisions=decisions, forms=forms)
    return JsonResponse({"saved": True})


@_json_view
def discard(request, key, number):
    discard_draft(request, _version(request, key, number))
    # A new process discarded is gone: its page goes back to creating one.
    return JsonResponse({"discarded": True, "next": reverse("webui:modeler_new") if number == 0 else None})


@_json_view
@_owner_only
@bounded_validation
def validate(request, key, number):
    """Run the deployment's validation on the submitted diagram with the version's (edited) decisions and forms."""
    version = _version(request, key, number)
    bpmn = _submitted_bpmn(json_body(request))
    copy = working_copy(request, version)
    # Lint reads BPMN only; shown with the errors, its warnings alone do not stop a deployment.
    warnings = api.lint({copy.file_name: bpmn.encode("utf-8")})
    files = {copy.file_name: bpmn.encode("utf-8"), **copy.decisions}
    try:
        processes = api.validate(files, copy.forms, actor=request.user)
    except InvalidDefinition as err:
        return JsonResponse({"valid": False, "problems": api.located_on_diagram(
            [*err.problems, *warnings], copy.file_name, bpmn)})
    return JsonResponse({"valid": True, "problems": api.located_on_diagram(warnings, copy.file_name, bpmn),
                         "processes": processes})


@_json_view
@_owner_only
@bounded_validation
def deploy(request, key, number):
    """Deploy the submitted diagram with the version's (edited) decisions and forms as a new version."""
    version = _version(request, key, number)
    body = json_body(request)
    bpmn = _submitted_bpmn(body)
    note = str(body.get("note") or "").strip()
    if not note:
        raise BadRequest(_("请填写变更说明。"))
    copy = working_copy(request, version)
    if number == 0 and ProcessDefinition.objects.filter(key=key).exists():
        raise BadRequest(_("流程编号 %(key)s 已被另一个流程使用，请新建流程时另选编号。") % {"key": key})
    try:
        result = api.deploy({copy.file_name: bpmn, **copy.decisions}, copy.forms, note=note, actor=request.user,
                            tenant=request.GET.get("tenant") or None)
    except InvalidDefinition as err:
        problems = api.located_on_diagram(err.problems, copy.file_name, bpmn)
        return JsonResponse({"valid": False, "problems": problems}, status=400)
    if not result.created:
        return JsonResponse({"error": _("没有变化：流程元素、决策表和表单与已部署的最新版本相同（至多布局或格式不同），"
                                        "未创建新版本。")}, status=409)
    discard_draft(request, version)
    return JsonResponse({"created": [{
        "key": v.definition.key, "number": v.number, "tenant": v.tenant,
        "history": reverse("webui:modeler_history", kwargs={"key": v.definition.key}),
        "modeler": reverse("webui:modeler", kwargs={"key": v.definition.key, "number": v.number}),
    } for v in result.created]})


def _table_problems(err):
    return JsonResponse({"error": _("决策表有 %(count)s 个问题，请先改正。") % {"count": len(err.problems)},
                         "problems": [p.as_dict() for p in err.problems]}, status=400)


@_json_view
@_owner_only
@bounded_validation
def decision_inputs(request, key, number, file_name):
    """The process data the submitted table reads: the fields of its try form."""
    _version(request, key, number)  # a 404 for a version not there
    dmn = _submitted_dmn(json_body(request))
    try:
        return JsonResponse({"inputs": api.decision_inputs(dmn, file_name)})
    except InvalidDefinition as err:
        return _table_problems(err)


@_json_view
@_owner_only
@bounded_validation
def decision_try(request, key, number, file_name):
    """What the submitted table gives for sample inputs, with the rule rows that matched."""
    _version(request, key, number)  # a 404 for a version not there
    body = json_body(request)
    dmn = _submitted_dmn(body)
    sample = body.get("sample") or {}
    if not isinstance(sample, dict) or not all(isinstance(v, (str, int, float, bool)) for v in sample.values()):
        raise BadRequest(_("试算输入（sample）必须是“名称: 值”的对象。"))
    try:
        return JsonResponse(api.try_decision(dmn, sample, file_name))
    except InvalidDefinition as err:
        return _table_problems(err)
