"""Version history of a process definition: who deployed what and when, pinning, comparing two versions."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine import api
from engine.errors import InvalidInput, NotFound, PermissionDenied

from .modeler_access import is_process_owner, or_404, viewer_required


def _viewed_tenant(request, given):
    """The province whose pins and current version a page shows: the user's own when bound to one, else the one
    given (among those there are), else the shared versions."""
    return api.bound_tenant(request.user) or (given if given in api.tenants() else "")


@viewer_required
def history(request, key):
    definition = or_404(api.get_definition, key)
    tenant = _viewed_tenant(request, request.GET.get("tenant", ""))
    rows = api.version_history(key, actor=request.user, tenant=tenant)
    numbers = [row["number"] for row in rows]
    return render(request, "webui/modeler/history.html", {
        "definition": definition,
        "rows": rows,
        "tenant": tenant,
        "tenant_label": api.tenant_label(tenant),
        "tenants": {} if api.bound_tenant(request.user) else api.tenants(),
        "can_manage": is_process_owner(request.user),
        "compare_from": numbers[1] if len(numbers) > 1 else None,
        "compare_to": numbers[0] if numbers else None,
    })


@viewer_required
@require_POST
def pin(request, key):
    """Pin the posted version number for new instances, or unpin when the number is empty."""
    number = request.POST.get("number", "").strip()
    tenant = request.POST.get("tenant", "")
    try:
        if number:
            api.pin_version(key, int(number), actor=request.user, tenant=tenant or None)
            messages.success(request, _("新实例将使用第 %(number)s 版。") % {"number": number})
        else:
            api.unpin_version(key, actor=request.user, tenant=tenant or None)
            messages.success(request, _("已取消固定，新实例将使用最新版本。"))
    except ValueError:
        messages.error(request, _("版本号必须是整数：%(number)s") % {"number": number})
    except InvalidInput as err:
        messages.error(request, "；".join(err.errors.values()))
    except (PermissionDenied, NotFound) as err:
        messages.error(request, str(err))
    url = reverse("webui:modeler_history", kwargs={"key": key})
    return redirect(f"{url}?tenant={tenant}" if tenant else url)


@viewer_required
def compare(request, key):
    try:
        old, new = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        messages.error(request, _("请选择要比较的两个版本。"))
        return redirect("webui:modeler_history", key=key)
    result = or_404(api.compare_versions, key, old, new, actor=request.user)
    panes = {}
    for side, number in (("from", old), ("to", new)):
        files = api.diagram(key, number, actor=request.user)["bpmn"]
        panes[side] = {"number": number, "xml": files[api.main_file(key, files)]}
    return render(request, "webui/modeler/compare.html", {
        "definition": api.get_definition(key),
        "result": result,
        "page": {"panes": panes, "markers": result["markers"]},
        "history_url": reverse("webui:modeler_history", kwargs={"key": key}),
    })
