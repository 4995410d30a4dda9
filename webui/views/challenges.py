"""Challenges (质疑) against awards: a supplier files one against a lot it bid on and reads the answers.

Who bid on a lot is in the procurement's process data: the bid-opening form's `bids` rows
(`lot_number`, `social_org`, `price`) of the current tender round, the round whose award can
still be challenged.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.db.models.fields.json import KeyTransform
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine.api import clock
from engine.errors import InvalidInput
from workflows.procurement.challenges import file_challenge
from workflows.procurement.models import Challenge, Lot, LotState, ProcurementProject

from ..page_forms import PageForm
from ..permissions import social_orgs_of


def with_bids(projects):
    """The projects with their procurement's `bids` read out of its data by the database: the data also holds
    every registered organisation as a bid choice, hundreds of KB at national size."""
    return projects.annotate(bids=KeyTransform("bids", "process_instance__data"))


def lot_bidders(project):
    """{lot number: social_org codes that bid on it} in the project's current round (project read with_bids)."""
    found = {}
    for row in project.bids if isinstance(project.bids, list) else []:
        if isinstance(row, dict):
            found.setdefault(row.get("lot_number"), set()).add(row.get("social_org"))
    return found


def bidder_among(org_codes, bidders, lot):
    """The first of `org_codes` that bid on `lot` (bidders as lot_bidders gives them), or None."""
    return next((code for code in sorted(org_codes) if code in bidders.get(lot.number, ())), None)


def lots_bid_on(org_codes):
    """The lots any of `org_codes` bid on, newest procurement first."""
    lots = Prefetch("lots", queryset=Lot.objects.select_related("county", "winner").order_by("number"))
    found = []
    for project in with_bids(ProcurementProject.objects.filter(process_instance__isnull=False)).prefetch_related(
            lots).order_by("-year"):
        bidders = lot_bidders(project)
        found.extend(lot for lot in project.lots.all() if bidder_among(org_codes, bidders, lot))
    return found


def challenge_rows(challenges):
    """Challenges with the lot, the filer and the answer, for the tables."""
    return challenges.select_related("lot__county", "lot__project", "filed_by").order_by("filed_on", "pk")


def procurement_challenges(instance):
    """The challenges filed in the procurement that `instance` runs, or the one it handles (none for other
    processes)."""
    return challenge_rows(Challenge.objects.filter(Q(lot__project__process_instance=instance)
                                                   | Q(process_instance=instance)))


def window_open(lot):
    closes = lot.project.challenge_window_closes_at
    return lot.state in (LotState.AWARDED, LotState.SUSPENDED) and closes is not None and clock.now() < closes


class ChallengeForm(PageForm):
    grounds = forms.CharField(required=False, label=gettext_lazy("质疑事项和理由"),
                              widget=forms.Textarea(attrs={"rows": 6}))


def organisations(user):
    codes = set(social_orgs_of(user).values_list("code", flat=True))
    if not codes:
        raise PermissionDenied
    return codes


@login_required
def challenge_list(request):
    codes = organisations(request.user)
    lots = [(lot, window_open(lot)) for lot in lots_bid_on(codes)]
    return render(request, "webui/challenges.html", {
        "lots": lots, "challenges": challenge_rows(Challenge.objects.filter(filed_by__code__in=codes))})


@login_required
def file_against_lot(request, lot_id):
    codes = organisations(request.user)
    lot = Lot.objects.select_related("project", "county", "winner").filter(pk=lot_id).first()
    if lot is None:
        raise Http404
    bidder = bidder_among(codes, lot_bidders(with_bids(ProcurementProject.objects).get(pk=lot.project_id)), lot)
    if bidder is None:  # only a supplier that bid on the lot may challenge its award
        raise Http404
    form = ChallengeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            file_challenge(lot.pk, bidder, form.cleaned_data["grounds"], actor=request.user)
        except InvalidInput as err:
            for key, message in err.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 400
        else:
            messages.success(request, _("质疑已提交，采购人将在 7 个工作日内答复。"))
            return redirect("webui:challenges")
    return render(request, "webui/challenge_file.html", {
        "lot": lot, "window_open": window_open(lot), "form": form,
        "challenges": challenge_rows(Challenge.objects.filter(lot=lot, filed_by__code__in=codes)),
    }, status=status)
