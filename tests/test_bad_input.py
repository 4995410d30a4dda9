"""What neither database can store is refused at the engine's edge, alike on both, before anything is written."""
import pytest

from engine import api
from engine.api import clock
from engine.errors import InvalidInput
from engine.models import AuditEvent, Message, ProcessInstance

from .steps import open_task
from .test_engine_lifecycle import START


def nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def deployed(deploy_bpmn, offices):
    clock.set_time(START)
    deploy_bpmn("review.bpmn")


@pytest.mark.parametrize("data, where, says", [
    ({"notes": "a\x00b"}, "notes", "NUL character"),
    ({"lines": [{"item": "x\x00"}]}, "lines[0].item", "NUL character"),
    ({"notes": "\ud800"}, "notes", "unpaired surrogate"),
    ({"ratio": float("nan")}, "ratio", "JSON cannot hold"),
    ({"deep": nested(40)}, "deep" + "[0]" * 32, "nested more than 32 levels"),
    ({"odd": {"a\x00": 1}}, "odd", "key that cannot be stored"),
    ({"thing": object()}, "thing", "not a JSON value"),
])
def test_a_start_with_unstorable_data_is_refused_and_writes_nothing(deployed, data, where, says):
    audited = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        api.start("review", data={"county": "520102", "revisions": 0, **data})
    assert list(refused.value.errors) == [where] and says in refused.value.errors[where]
    assert not ProcessInstance.objects.exists() and AuditEvent.objects.count() == audited


def test_a_business_key_longer_than_its_column_is_refused(deployed):
    with pytest.raises(InvalidInput, match="business_key: is 201 characters long; at most 200 fit"):
        api.start("review", business_key="k" * 201, data={"county": "520102", "revisions": 0})
    assert not ProcessInstance.objects.exists()


def test_a_submission_or_a_reason_that_cannot_be_stored_leaves_the_task_open(deployed, offices):
    instance = api.start("review", data={"county": "520102", "revisions": 0}).instance
    task = open_task(instance, "write_plan")
    with pytest.raises(InvalidInput, match="background: contains a NUL character"):
        api.complete_task(task.id, {"background": "\x00", "budget": 1}, actor=offices["520102"])
    with pytest.raises(InvalidInput, match="reason: contains a NUL character"):
        api.suspend(instance.id, reason="\x00")
    assert open_task(instance, "write_plan").state == "open"
    assert ProcessInstance.objects.get(pk=instance.pk).state == "running"


def test_a_message_that_cannot_be_stored_is_refused(db):
    with pytest.raises(InvalidInput, match=r"payload\.note: contains a NUL character"):
        api.send_message("award", {"county": "520102"}, {"note": "\x00"})
    with pytest.raises(InvalidInput, match=r"correlation\.county: contains an unpaired surrogate"):
        api.send_message("award", {"county": "\ud800"})
    with pytest.raises(InvalidInput, match="name: is 201 characters long"):
        api.send_message("m" * 201)
    assert not Message.objects.exists()
