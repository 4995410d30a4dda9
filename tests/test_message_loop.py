"""A catch event in a loop takes each message once: the message it was just handed is not taken again
in the same step, although its delivered state is written only when the step ends."""
from datetime import datetime, timezone

import pytest

from engine import api
from engine.api import clock
from engine.models import HumanTask, Message, ProcessInstance
from engine.api import dispatch_due_timers

pytestmark = pytest.mark.django_db


def test_each_message_opens_one_task_and_the_loop_waits_for_the_next(deploy_bpmn):
    clock.set_time(datetime(2026, 3, 2, 1, tzinfo=timezone.utc))
    deploy_bpmn("message_loop.bpmn")
    instance = api.start("message_loop", data={"year": 2027, "closes_at": "2026-03-06T00:00:00+08:00"}).instance
    for n in range(2):
        api.send_message("note", {"year": 2027}, {"n": n})
        dispatch_due_timers()
    handled = HumanTask.objects.filter(instance=instance, bpmn_id="handle", state="open")
    assert handled.count() == 2
    assert not Message.objects.filter(state=Message.PENDING).exists()
    assert ProcessInstance.objects.get(pk=instance.pk).current_elements == ["handle", "listen"]

    clock.set_time(datetime(2026, 3, 6, 1, tzinfo=timezone.utc))
    dispatch_due_timers()
    for row in handled:
        api.complete_task(row.id, {})
    assert ProcessInstance.objects.get(pk=instance.pk).state == "completed"
