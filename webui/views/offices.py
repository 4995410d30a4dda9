"""Offices searched as one types, for the filters that pick among thousands of them."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse

from workflows.models import OfficeKind

from ..offices import office_search

SEARCHED_KINDS = (OfficeKind.PREFECTURE_BUREAU, OfficeKind.COUNTY_BUREAU, OfficeKind.STATION)


@login_required
def search(request):
    kind = request.GET.get("kind", "")
    if kind not in SEARCHED_KINDS:
        raise Http404
    return JsonResponse({"offices": [{"code": code, "label": label}
                                     for code, label in office_search(request.user, kind, request.GET.get("q"))]})
