"""Code from a diagram that never ends fails its own step within the limit, and the others go on beside it."""
from datetime import timedelta

from engine import api
from engine.api import clock
from engine.models import ProcessInstance

from .steps import move_clock_to
from .test_engine_lifecycle import START
from .test_incidents import AFTER_A_TIMER


def test_a_script_that_never_ends_fails_its_step_while_another_timer_fires(db):
    clock.set_time(START)
    api.deploy({"after_a_timer.bpmn": AFTER_A_TIMER.replace("SCRIPT", "n = 0\nwhile True:\n    n = n + 1")})
    endless = api.start("after_a_timer", "endless").instance
    api.deploy({"after_a_timer.bpmn": AFTER_A_TIMER.replace("SCRIPT", "n = 1")})
    quick = api.start("after_a_timer", "quick").instance
    assert move_clock_to(START + timedelta(hours=1, seconds=1))["instances"] == 2
    failed = ProcessInstance.objects.get(pk=endless.pk)
    assert failed.state == "failed" and failed.error_element == "note"
    assert "went round its loops or calls more than 1,000,000 times" in failed.error and "(line 2)" in failed.error  # the loop
    assert ProcessInstance.objects.get(pk=quick.pk).state == "completed"
    api.cancel(endless.id, reason="the lock was released")
    assert ProcessInstance.objects.get(pk=endless.pk).state == "cancelled"
