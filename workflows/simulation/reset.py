"""Clearing a simulated year's records, so the year can be simulated again (simulate --reset-year).

Only records of the demonstration and synthetic offices (is_sample) go: a real office's records are never
touched. The instances stay, as the history they are (their open ones are cancelled first), and so does
the audit trail, which says what was deleted, by whom and when. Records a later year still relies on (an
evaluation that next year's lot shows) keep the year from being cleared.
"""
from django.db import transaction
from django.db.models import ProtectedError

from engine import api
from workflows.planning.models import AnnualPlan, Evaluation, ServiceAgreement
from workflows.procurement.models import Lot, ProcurementProject
from workflows.service.models import StationDeployment


class RecordsInUse(Exception):
    """A later year's records rely on the year's."""


def clear_year(year, actor="system"):
    """Delete the year's records of sample offices, those that rely on others first, all or none; {model label:
    count}."""
    sample = {"county__is_sample": True}
    projects = ProcurementProject.objects.filter(year=year).exclude(
        pk__in=Lot.objects.filter(project__year=year, county__is_sample=False).values("project"))
    doomed = [
        Evaluation.objects.filter(year=year, **sample),
        StationDeployment.objects.filter(agreement__year=year, agreement__county__is_sample=True),
        ServiceAgreement.objects.filter(year=year, **sample),
        projects,
        AnnualPlan.objects.filter(year=year, **sample),
    ]
    deleted = {}
    try:
        with transaction.atomic():
            for queryset in doomed:
                for label, count in queryset.delete()[1].items():
                    deleted[label] = deleted.get(label, 0) + count
            if deleted:
                api.record_event("simulation.year_cleared", data={"year": year, "deleted": deleted}, actor=actor)
    except ProtectedError as err:
        raise RecordsInUse(f"records of a later year rely on {year}'s ({len(err.protected_objects)} of them, "
                           f"such as {next(iter(err.protected_objects))!r})") from None
    return deleted
