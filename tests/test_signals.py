"""Signals: thrown in one instance, caught by every instance waiting for one at that moment, and starting
the processes whose start event catches it; errors an event subprocess catches are not reported unhandled."""
import pytest

from engine import api
from engine.models import AuditEvent, HumanTask, Message, ProcessInstance

from .steps import open_task

# Broadcasts run once the throwing step commits.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def waiting_station(deploy_bpmn):
    deploy_bpmn("signals.bpmn")
    return api.start("station_wait", "st-1", {"station": "520102"}).instance


def test_a_signal_thrown_reaches_every_instance_waiting_and_starts_its_process(deploy_bpmn, offices):
    deploy_bpmn("signals.bpmn")
    waiting = [api.start("station_wait", f"st-{i}", {"station": "520102"}).instance for i in range(2)]
    working = api.start("station_work", "work-1", {"station": "520102"}).instance
    thrower = api.start("notify", "notice-1", {}).instance
    for instance in waiting:
        task = open_task(instance, "w_study")
        notice = api.task_form(task).data["policy_notice"]["notice"]
        assert notice.startswith("2027 年起"), "the signal carries the thrower's payload to the catcher's variable"
    assert open_task(working, "s_adjust") and open_task(working, "s_report"), "non-interrupting: both open"
    [archive] = ProcessInstance.objects.filter(version__definition__key="policy_archive")
    assert archive.state == "completed" and archive.data["archived"].startswith("2027 年起")
    signal = Message.objects.get(kind="signal")
    assert signal.state == Message.DELIVERED and signal.sender_instance == thrower
    received = AuditEvent.objects.filter(action="signal.received").values_list("instance_id", flat=True)
    assert sorted(received) == sorted([*(i.pk for i in waiting), working.pk, archive.pk])
    assert AuditEvent.objects.filter(action="signal.thrown", instance=thrower).count() == 1


def test_a_signal_is_not_kept_for_an_instance_that_waits_only_later(deploy_bpmn, offices):
    deploy_bpmn("signals.bpmn")
    api.send_signal("政策通知", {"notice": "试行"}, actor="gz")
    later = api.start("station_wait", "st-late", {"station": "520102"}).instance
    assert not HumanTask.objects.filter(instance=later).exists()
    assert ProcessInstance.objects.get(pk=later.pk).state == "waiting"
    assert ProcessInstance.objects.filter(version__definition__key="policy_archive").count() == 1


def test_a_broadcast_run_again_delivers_and_starts_nothing_twice(deploy_bpmn, offices):
    station = waiting_station(deploy_bpmn)
    signal = api.send_signal("政策通知", {"notice": "试行"})  # broadcast once the send commits
    assert api.deliver_signal(signal.pk) == []
    assert HumanTask.objects.filter(instance=station, bpmn_id="w_study").count() == 1
    assert ProcessInstance.objects.filter(version__definition__key="policy_archive").count() == 1


def test_an_error_a_boundary_event_catches_is_not_reported_unhandled(deploy_bpmn, offices):
    deploy_bpmn("error_subprocess.bpmn")
    instance = api.start("missing_papers", "p-1", {"county": "520102"}).instance
    assert open_task(instance, "ask_papers")
    assert not AuditEvent.objects.filter(instance=instance, action="event.unhandled").exists()


def test_the_command_line_throws_a_signal(deploy_bpmn, offices):
    from .steps import command_output

    station = waiting_station(deploy_bpmn)
    said = command_output("bpmn", "signal", "政策通知", "--data", '{"notice": "试行"}')
    assert said.strip() == "signal 政策通知 reached 2 instance(s)"  # the waiting station, and an archive it started
    assert open_task(station, "w_study")
