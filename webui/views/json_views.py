"""JSON request bodies and answers, for the pages' scripts (the modeler, migration, task forms)."""
import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _

from engine.errors import Conflict, InvalidInput, NotFound
from engine.errors import PermissionDenied as EnginePermissionDenied


class BadRequest(Exception):
    """Input a JSON view cannot use: answered with the message, 400 unless `status` says otherwise."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def request_body(request):
    """The request's body; BadRequest (413) when it is larger than the site takes."""
    try:
        return request.body
    except RequestDataTooBig:
        raise BadRequest(_("请求内容超过 %(limit)s 字节的上限。") % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                         status=413) from None


def json_body(request):
    """The request's body, which must be a JSON object (BadRequest otherwise)."""
    try:
        body = json.loads(request_body(request) or b"{}")
    except (ValueError, RecursionError):  # JSON nested past the parser's recursion
        body = None
    if not isinstance(body, dict):
        raise BadRequest(_("请求内容不是 JSON 对象。"))
    return body


def json_answers(view):
    """A view answering JSON, refusals included: {"error": message}, with "errors" by field for the engine's
    InvalidInput; 400 for bad input, 404 for what the engine does not find, 403 for what is not allowed, 409 for
    what has moved on (a task already completed)."""
    @wraps(view)
    def answered(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as err:
            return JsonResponse({"error": str(err)}, status=err.status)
        except InvalidInput as err:
            return JsonResponse({"error": "；".join(err.errors.values()), "errors": err.errors}, status=400)
        except NotFound as err:
            return JsonResponse({"error": str(err)}, status=404)
        except Conflict as err:
            return JsonResponse({"error": str(err)}, status=409)
        except (PermissionDenied, EnginePermissionDenied) as err:
            return JsonResponse({"error": str(err)}, status=403)

    return answered
