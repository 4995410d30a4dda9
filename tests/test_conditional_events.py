"""Conditional events are checked again at every step, against the data the step left."""
from engine import api
from engine.models import HumanTask, ProcessInstance

from .steps import open_task


def started(deploy_bpmn):
    deploy_bpmn("conditional.bpmn")
    return api.start("budget_watch", "b-1", {"county": "520102", "budget": 0}).instance


def test_a_condition_fulfilled_by_another_branch_fires_in_that_step(deploy_bpmn, offices):
    instance = started(deploy_bpmn)
    api.complete_task(open_task(instance, "write").id, {"budget": 80000})
    assert not HumanTask.objects.filter(instance=instance, bpmn_id="review").exists(), "80,000 is not large"
    step = api.complete_task(open_task(instance, "amend").id, {"budget": 180000})
    assert [t.bpmn_id for t in step.opened] == ["review"]
    assert api.task_form(open_task(instance, "review")).data["budget"] == 180000, "it takes the data it fired on"
    api.complete_task(open_task(instance, "review").id, {})
    assert ProcessInstance.objects.get(pk=instance.pk).state == "completed"


def test_a_condition_that_cannot_be_evaluated_fails_its_instance_at_the_event(deploy_bpmn, offices):
    instance = started(deploy_bpmn)
    api.complete_task(open_task(instance, "write").id, {"budget": "十万"})  # text > number cannot be compared
    failed = ProcessInstance.objects.get(pk=instance.pk)
    assert failed.state == "failed" and failed.error_element == "large" and "budget > 100000" in failed.error
