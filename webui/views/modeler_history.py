"""Version history of a process definition: who deployed what and when, pinning, comparing two versions."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine import api
from engine.errors import NotFound, PermissionDenied

from .modeler_access import is_process_owner, or_404, viewer_required


@viewer_required
def history(request, key):
    definition = or_404(api.get_definition, key)
    rows = api.version_history(key)
    numbers = [row["number"] for row in rows]
    return render(request, "webui/modeler/history.html", {
        "definition": definition,
        "rows": rows,
        "can_manage": is_process_owner(request.user),
        "compare_from": numbers[1] if len(numbers) > 1 else None,
        "compare_to": numbers[0] if numbers else None,
    })


@viewer_required
@require_POST
def pin(request, key):
    """Pin the posted version number for new instances, or unpin when the number is empty."""
    number = request.POST.get("number", "").strip()
    try:
        if number:
            api.pin_version(key, int(number), actor=request.user)
            messages.success(request, _("新实例将使用第 %(number)s 版。") % {"number": number})
        else:
            api.unpin_version(key, actor=request.user)
            messages.success(request, _("已取消固定，新实例将使用最新版本。"))
    except ValueError:
        messages.error(request, _("版本号必须是整数：%(number)s") % {"number": number})
    except (PermissionDenied, NotFound) as err:
        messages.error(request, str(err))
    return redirect("webui:modeler_history", key=key)


@viewer_required
def compare(request, key):
    try:
        old, new = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        messages.error(request, _("请选择要比较的两个版本。"))
        return redirect("webui:modeler_history", key=key)
    result = or_404(api.compare_versions, key, old, new)
    panes = {}
    for side, number in (("from", old), ("to", new)):
        files = api.diagram(key, number)["bpmn"]
        panes[side] = {"number": number, "xml": files[api.main_file(key, files)]}
    return render(request, "webui/modeler/compare.html", {
        "definition": api.get_definition(key),
        "result": result,
        "page": {"panes": panes, "markers": result["markers"]},
        "history_url": reverse("webui:modeler_history", kwargs={"key": key}),
    })
