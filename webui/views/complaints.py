"""Complaints (投诉) to the finance department: a challenger files one about the answer to its challenge, or the lack
of one, and follows the decision."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine.errors import InvalidInput
from workflows.procurement.complaints import file_complaint, window_open
from workflows.procurement.models import Challenge, Complaint

from ..page_forms import PageForm
from .challenges import organisations


def complaint_rows(complaints):
    """Complaints with their challenge, lot and complainant, for the tables."""
    return complaints.select_related("challenge__lot__county", "filed_by").order_by("filed_on", "pk")


def procurement_complaints(instance):
    """The complaints about the procurement that `instance` runs, about the challenge it handles, or the one it
    handles (none for other processes)."""
    return complaint_rows(Complaint.objects.filter(
        Q(challenge__lot__project__process_instance=instance) | Q(challenge__process_instance=instance)
        | Q(process_instance=instance)))


class ComplaintForm(PageForm):
    grounds = forms.CharField(required=False, label=gettext_lazy("投诉事项和理由"),
                              widget=forms.Textarea(attrs={"rows": 6}))


def _challenges(codes):
    return Challenge.objects.filter(filed_by__code__in=codes).select_related(
        "lot__county", "lot__project", "filed_by").order_by("-filed_on", "-pk")


@login_required
def complaint_list(request):
    codes = organisations(request.user)
    return render(request, "webui/complaints.html", {
        "challenges": [(challenge, window_open(challenge)) for challenge in _challenges(codes)],
        "complaints": complaint_rows(Complaint.objects.filter(filed_by__code__in=codes))})


@login_required
def file_about_challenge(request, challenge_id):
    codes = organisations(request.user)
    challenge = _challenges(codes).filter(pk=challenge_id).first()
    if challenge is None:  # only the challenger may complain about the answer to its challenge
        raise Http404
    form = ComplaintForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            file_complaint(challenge.pk, challenge.filed_by.code, form.cleaned_data["grounds"], actor=request.user)
        except InvalidInput as err:
            for key, message in err.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 400
        else:
            messages.success(request, _("投诉已提交，省财政厅将在收到投诉后 30 个工作日内作出处理决定。"))
            return redirect("webui:complaints")
    return render(request, "webui/complaint_file.html", {
        "challenge": challenge, "window_open": window_open(challenge), "form": form,
        "complaints": complaint_rows(Complaint.objects.filter(challenge=challenge))}, status=status)
