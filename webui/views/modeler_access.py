"""Who may look at process definitions and who may change them.

Anyone working in an office may view every definition's diagram and history (the
process is the same for all offices). Deploying, pinning and migrating belong to
the process owners of the provincial civil-affairs department.
"""
import json
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

from engine.extensions import get_directory
from engine.errors import InvalidInput, NotFound
from engine.errors import PermissionDenied as EnginePermissionDenied
from workflows.models import Membership


def can_view_definitions(user):
    if not user.is_authenticated:
        return False
    return user.is_superuser or Membership.objects.filter(user=user).exists()


def is_process_owner(user):
    return user.is_authenticated and get_directory().is_process_owner(user)


def viewer_required(view):
    @login_required
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not can_view_definitions(request.user):
            raise PermissionDenied(_("您不属于任何单位，不能查看流程定义。"))
        return view(request, *args, **kwargs)

    return checked


def or_404(call, *args):
    """call(*args), with the engine's NotFound answered as a 404 page naming what is missing."""
    try:
        return call(*args)
    except NotFound as err:
        raise Http404(str(err)) from None


def owner_required(message):
    """A view decorator refusing (403) who is not a process owner; `message` (lazy) says what they may not do."""
    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not is_process_owner(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return checked

    return decorator


class BadRequest(Exception):
    """Input a JSON view cannot use: answered 400 with the message."""


def json_body(request):
    """The request's body, which must be a JSON object (BadRequest otherwise)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # JSON nested past the parser's recursion
        body = None
    if not isinstance(body, dict):
        raise BadRequest(_("请求内容不是 JSON 对象。"))
    return body


def json_answers(view):
    """A view answering JSON, refusals included: {"error": message}, with "errors" by field for the engine's
    InvalidInput; 400 for bad input, 404 for what the engine does not find, 403 for what is not allowed."""
    @wraps(view)
    def answered(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as err:
            return JsonResponse({"error": str(err)}, status=400)
        except InvalidInput as err:
            return JsonResponse({"error": "；".join(err.errors.values()), "errors": err.errors}, status=400)
        except NotFound as err:
            return JsonResponse({"error": str(err)}, status=404)
        except (PermissionDenied, EnginePermissionDenied) as err:
            return JsonResponse({"error": str(err)}, status=403)

    return answered
