"""Errors as problem details (RFC 9457, `application/problem+json`): type, title, status, detail, and
`errors` naming each field that was wrong; `problems` for a diagram's validation findings (file, line,
message, element), as the command line and the modeler list them. Titles and messages follow the request's
language: Chinese by default, English with `Accept-Language: en`."""
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from engine.errors import (Conflict, EngineError, InvalidDefinition, InvalidInput, NotFound, PermissionDenied,
                           StepFailed)
from webui.views.json_views import BadRequest

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "tag:shegong-flow,2026:problem/"

# Problems with a meaning of their own; any other is `about:blank`, titled by its HTTP status.
INVALID_INPUT = ("invalid-input", gettext_lazy("输入有误"))
INVALID_DEFINITION = ("invalid-definition", gettext_lazy("流程定义有错误"))
CONFLICT = ("conflict", gettext_lazy("操作与当前状态冲突"))
STEP_FAILED = ("step-failed", gettext_lazy("步骤失败，流程实例已转为出错"))
MIGRATION_REFUSED = ("migration-refused", gettext_lazy("迁移被拒绝"))

STATUS_TITLES = {
    400: gettext_lazy("请求有误"), 401: gettext_lazy("未认证"), 403: gettext_lazy("无权操作"),
    404: gettext_lazy("未找到"), 405: gettext_lazy("不支持的请求方法"), 406: gettext_lazy("无法提供所请求的格式"),
    409: gettext_lazy("操作与当前状态冲突"), 413: gettext_lazy("请求内容过大"),
    415: gettext_lazy("不支持的内容类型"), 429: gettext_lazy("请求过于频繁"),
}


class Problem(Exception):
    """A refusal the API words itself: `kind` is one of the named problems above, `extra` its members."""

    def __init__(self, status_code, kind, detail, **extra):
        super().__init__(detail)
        self.status_code, self.kind, self.detail, self.extra = status_code, kind, detail, extra


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def problem_body(status_code, detail, kind=None, **extra):
    slug, title = kind or ("", STATUS_TITLES.get(status_code, ""))
    return {"type": TYPE_BASE + slug if slug else "about:blank", "title": str(title), "status": status_code,
            "detail": str(detail), **extra}


def problem_response(status_code, detail, kind=None, headers=None, **extra):
    return Response(problem_body(status_code, detail, kind, **extra), status=status_code, headers=headers,
                    content_type=CONTENT_TYPE)


def plain_problem_response(status_code, detail):
    """A problem answered before any API view runs (a middleware's), as Django's own response."""
    return JsonResponse(problem_body(status_code, detail), status=status_code, content_type=CONTENT_TYPE,
                        json_dumps_params={"ensure_ascii": False})


def field_errors(detail, prefix=""):
    """A serializer's errors as {field path: message}, nested fields joined by dots ("correlation.year")."""
    if isinstance(detail, dict):
        found = {}
        for key, value in detail.items():
            found.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        return {prefix or "non_field_errors": "；".join(str(item) for item in detail)}
    if isinstance(detail, list):
        found = {}
        for index, item in enumerate(detail):
            found.update(field_errors(item, f"{prefix}[{index}]"))
        return found
    return {prefix or "non_field_errors": str(detail)}


def _invalid(errors, detail=None):
    errors = {str(key): str(message) for key, message in errors.items()}
    return problem_response(400, detail or "；".join(f"{k}: {v}" for k, v in errors.items()), INVALID_INPUT,
                            errors=errors)


def exception_handler(exc, context):
    response = _response(exc)
    if response is not None:
        set_rollback()
    return response


def _response(exc):
    if isinstance(exc, Problem):
        return problem_response(exc.status_code, exc.detail, exc.kind, **exc.extra)
    if isinstance(exc, exceptions.ValidationError):
        return _invalid(field_errors(exc.detail), _("请求的字段有错误。"))
    if isinstance(exc, InvalidDefinition):
        return problem_response(400, _("流程定义有 %(count)s 个问题。") % {"count": len(exc.problems)},
                                INVALID_DEFINITION, problems=[p.as_dict() for p in exc.problems])
    if isinstance(exc, InvalidInput):
        return _invalid(exc.errors, str(exc))
    if isinstance(exc, (NotFound, Http404)):
        return problem_response(404, exc if isinstance(exc, NotFound) else _("未找到。"))
    if isinstance(exc, (PermissionDenied, DjangoPermissionDenied)):
        return problem_response(403, str(exc) or _("您没有执行该操作的权限。"))
    if isinstance(exc, StepFailed):
        return problem_response(409, exc, STEP_FAILED)
    if isinstance(exc, (Conflict, EngineError)):
        return problem_response(409, exc, CONFLICT)
    if isinstance(exc, BadRequest):  # the modeler's own limits on validating diagrams
        return problem_response(exc.status, exc)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(413, _("请求内容超过 %(limit)s 字节的上限。") % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    if isinstance(exc, SuspiciousOperation):  # too many fields or files in a form, a malformed upload
        return problem_response(400, exc)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = "%d" % exc.wait
        return problem_response(exc.status_code, exc.detail, headers=headers)
    return None


# What the schema says every error is, named Problem, and the statuses each operation may answer with it.
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`about:blank`, or the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "a message for each field that was wrong, by its path"},
        "problems": {"type": "array", "description": "a diagram's validation findings", "items": {
            "$ref": "#/components/schemas/ValidationProblem"}},
        "reasons": {"type": "array", "items": {"type": "object"},
                    "description": "why a migration is refused"},
    },
}
ALWAYS = (400, 401, 403, 404, 406)
WITH_BODY = (409, 413, 415)


def add_problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation's error statuses answer a Problem."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            codes = ALWAYS + (WITH_BODY if method in ("post", "put", "patch") else ())
            for code in codes:
                operation.setdefault("responses", {}).setdefault(str(code), {
                    "description": str(STATUS_TITLES[code]), "content": content})
    return result
