"""Who may look at process definitions and who may change them.

Anyone working in an office may view every definition's diagram and history (the
process is the same for all offices), but of the versions a province deployed for itself
only its own province's offices see them. Deploying, pinning and migrating belong to
the process owners of a provincial civil-affairs department, each for its own province
(Guizhou's for the shared versions, and for any province).
"""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from engine.errors import NotFound
from engine.errors import PermissionDenied as EnginePermissionDenied
from engine.extensions import get_directory
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


def or_404(call, *args, **kwargs):
    """call(*args, **kwargs), with the engine's NotFound answered as a 404 page naming what is missing, and its
    PermissionDenied (another province's version) as a 403 page saying why."""
    try:
        return call(*args, **kwargs)
    except NotFound as err:
        raise Http404(str(err)) from None
    except EnginePermissionDenied as err:
        raise PermissionDenied(str(err)) from None


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
