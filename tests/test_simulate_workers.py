"""`simulate --national --workers`: a tiny national year whose steps real Celery workers take through Redis."""
import os
from datetime import timedelta
from functools import partial

import pytest

from config.celery import in_flight
from engine.api import clock
from engine.models import HumanTask, ProcessInstance
from workflows.procurement.models import Complaint

from .steps import command_output

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                       reason="needs REDIS_URL and DATABASE_URL (the production path; CI sets both)"),
]

simulate = partial(command_output, "simulate")


def test_workers_play_a_national_year_on_one_clock():
    output = simulate("--year", "2026", "--national", "--stations", "2", "--workers", "2", "--seed", "1")
    assert "2 synthetic stations" in output and "workers take the steps (2 started here)" in output, output
    assert "result: ok" in output and "tasks/s" in output and "steps/s" in output, output
    counts = {key: ProcessInstance.objects.filter(version__definition__key=key).count()
              for key in ("county_annual_cycle", "provincial_procurement", "station_service", "procurement_challenge",
                          "procurement_complaint")}
    # The shape the one-process year has (tests/test_simulate.py).
    assert counts == {"county_annual_cycle": 1, "provincial_procurement": 1, "station_service": 2,
                      "procurement_challenge": 2, "procurement_complaint": 2}, output
    assert set(ProcessInstance.objects.values_list("state", flat=True)) == {"completed"}, output
    assert not HumanTask.objects.filter(state__in=("open", "claimed")).exists()
    # Each complaint decided as planned; a void award the agreement's signing overtook is upheld instead.
    outcomes = sorted(Complaint.objects.values_list("outcome", flat=True))
    assert outcomes in (["award_void", "dismissed"], ["dismissed", "upheld"]), outcomes
    stations = ProcessInstance.objects.filter(version__definition__key="station_service")
    assert all(code.startswith("syn-") for code in stations.values_list("data__station", flat=True))
    # The workers worked on the simulated clock: the services' reports were done into the simulated 2027, after
    # the run the clock is the system's again and no job is left counted.
    last = max(HumanTask.objects.filter(instance__in=stations).values_list("completed_at", flat=True))
    assert last.astimezone(clock.CHINA).year == 2027 and abs(clock.now() - last) > timedelta(days=1)
    assert not clock.is_fixed() and not clock.is_shared() and in_flight() == 0
