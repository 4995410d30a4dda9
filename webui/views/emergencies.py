"""Reporting an emergency at a station: the organisation holding the station's service starts its response."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine.errors import InvalidInput
from workflows.service.emergencies import report_emergency
from workflows.service.models import DeploymentState, EmergencyKind, StationDeployment

from ..offices import office_names
from ..page_forms import PageForm
from ..permissions import social_orgs_of, works_for_social_org


def held_deployments(user):
    """The running station services that `user`'s organisations hold, newest year first."""
    return StationDeployment.objects.filter(agreement__social_org__in=social_orgs_of(user)).exclude(
        state=DeploymentState.COMPLETED).select_related("station", "agreement").order_by(
        "-agreement__year", "station__code")


class EmergencyForm(PageForm):
    """What is reported; the kind, day and description are checked by report_emergency, the one place for it."""

    deployment = forms.TypedChoiceField(coerce=int, label=gettext_lazy("社工站"))
    kind = forms.ChoiceField(required=False, label=gettext_lazy("突发事件类型"))
    occurred_on = forms.CharField(required=False, label=gettext_lazy("发生日期"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(required=False, label=gettext_lazy("事件经过"),
                                  widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, deployments, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = office_names({d.station.code for d in deployments})
        self.fields["deployment"].choices = [
            (d.pk, _("%(station)s（%(year)s 年度）") % {"station": names[d.station.code], "year": d.agreement.year})
            for d in deployments]
        self.fields["kind"].choices = [("", _("请选择"))] + list(EmergencyKind.choices)


def report_link(user, instance):
    """The page reporting an emergency at the station whose service `instance` runs, when `user` holds it."""
    if not works_for_social_org(user):
        return None  # told by the memberships already read: no query for the offices that hold no service
    deployment = held_deployments(user).filter(process_instance=instance).first()
    if deployment is None:
        return None
    return f"{reverse('webui:emergency-report')}?deployment={deployment.pk}"


def _chosen(request, deployments):
    """The deployment named in the request; one the user's organisation does not hold is not there at all."""
    value = request.POST.get("deployment") or request.GET.get("deployment")
    if not value:
        return None
    chosen = next((d for d in deployments if str(d.pk) == value), None)
    if chosen is None:
        raise Http404
    return chosen


@login_required
def report(request):
    deployments = list(held_deployments(request.user))
    if not deployments:
        raise PermissionDenied
    chosen = _chosen(request, deployments)
    if request.method != "POST":
        form = EmergencyForm(deployments, initial={"deployment": chosen.pk if chosen else None})
        return render(request, "webui/emergency_report.html", {"form": form})
    form = EmergencyForm(deployments, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            instance = report_emergency(chosen.station.code, chosen.agreement.year, data["kind"],
                                        data["occurred_on"], data["description"], actor=request.user)
        except InvalidInput as err:
            for key, message in err.errors.items():
                field = "deployment" if key == "station" else key
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("突发事件已报告，应急响应任务已送达本机构待办。"))
            return redirect("webui:instance", instance_id=instance.pk)
    return render(request, "webui/emergency_report.html", {"form": form}, status=400)
