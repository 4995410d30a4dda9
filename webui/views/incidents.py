"""Incidents: instances whose step failed, for the operators who fix and retry them."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine.models import ProcessDefinition, ProcessInstance
from workflows.visibility import instances_visible_to

from ..page_forms import PageForm
from ..permissions import can_control_instances, require

PAGE_SIZE = 50


class IncidentFilter(PageForm):
    process = forms.ChoiceField(required=False, label=gettext_lazy("流程"))
    version = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("版本"))
    element = forms.CharField(required=False, max_length=200, label=gettext_lazy("出错环节"))
    error = forms.CharField(required=False, max_length=200, label=gettext_lazy("错误信息"))

    def __init__(self, data):
        super().__init__(data)
        self.fields["process"].choices = [("", _("全部"))] + [
            (d.key, d.name or d.key) for d in ProcessDefinition.objects.all()]


@login_required
def incident_list(request):
    require(can_control_instances(request.user))
    form = IncidentFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    incidents = instances_visible_to(request.user, ProcessInstance.objects.incidents(
        data.get("process"), data.get("version"), data.get("element"), data.get("error"))).select_related(
        "version__definition").defer("serialized", "version__spec_json")
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "webui/incidents.html", {"form": form, "page": page, "query": query.urlencode()})
