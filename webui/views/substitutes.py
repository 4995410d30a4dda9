"""Substitutes during leave: one's own, and those a supervisor sets for the people of their offices."""
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine.api import clock
from engine.errors import EngineError, InvalidInput
from workflows.models import Membership, Office, Substitution
from workflows.substitutes import end_substitution, set_substitute

from ..page_forms import PageForm
from .navigation import back


def _people(user):
    """Who `user` may set a substitute for: themselves and the people of the offices they supervise."""
    supervised = Membership.objects.filter(user=user, is_supervisor=True).values_list("office", flat=True)
    return get_user_model().objects.filter(Q(pk=user.pk) | Q(memberships__office__in=supervised)).distinct()


def _candidates(user):
    """Who may stand in for the people above: the people of their offices and of the offices above them."""
    offices = Office.objects.filter(members__user__in=_people(user))
    return get_user_model().objects.filter(
        Q(memberships__office__in=offices) | Q(memberships__office__children__in=offices)).distinct()


def _choices(users):
    from ..templatetags.webui import actor

    return [(u.get_username(), f"{actor(u)}（{u.get_username()}）") for u in users.order_by("username")]


class SubstituteForm(PageForm):
    absent = forms.ChoiceField(label=gettext_lazy("请假人员"))
    substitute = forms.ChoiceField(label=gettext_lazy("代理人"))
    # A date input takes and shows ISO dates, whatever the page's language.
    starts_on = forms.DateField(label=gettext_lazy("开始日期"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=gettext_lazy("结束日期"),
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(required=False, max_length=200, label=gettext_lazy("事由"))

    def __init__(self, data, user):
        super().__init__(data, initial={"absent": user.get_username(), "starts_on": clock.today_in_china()})
        self.fields["absent"].choices = _choices(_people(user))
        self.fields["substitute"].choices = _choices(_candidates(user))


@login_required
def page(request):
    user = request.user
    form = SubstituteForm(request.POST or None, user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            set_substitute(data["absent"], data["substitute"], data["starts_on"], data["ends_on"], data["reason"],
                           actor=user)
            messages.success(request, _("已设置代理人。"))
            return redirect("webui:substitutes")
        except InvalidInput as err:
            for field, message in err.errors.items():
                form.add_error(field if field in form.fields else None, message)
        except EngineError as err:
            form.add_error(None, str(err))
    today = clock.today_in_china()
    rows = Substitution.objects.filter(
        Q(absent__in=_people(user)) | Q(substitute=user), ends_on__gte=today).select_related(
        "absent", "substitute").order_by("starts_on", "id")
    return render(request, "webui/substitutes.html", {"form": form, "rows": rows, "today": today})


@login_required
@require_POST
def end(request, substitution_id):
    try:
        end_substitution(substitution_id, actor=request.user)
        messages.success(request, _("代理已结束。"))
    except EngineError as err:
        messages.error(request, _("操作未完成：%(error)s") % {"error": err})
    return back(request, "webui:substitutes")
