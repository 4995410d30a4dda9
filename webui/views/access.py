"""Fetching what a user asked for by id, only when they may see it: 404 otherwise, so ids cannot be probed.

Pages leave out the biggest columns: a version's specs (the engine loads them itself, once per version)
and an instance's workflow state, unless the page reads the workflow.
"""
from django.http import Http404

from engine.models import DefinitionVersion, HumanTask, ProcessInstance
from workflows.visibility import instances_visible_to, tasks_visible_to

from ..permissions import has_dashboard


def listed_instances():
    """Instances for a page: with their version and definition, without the workflow state and the specs."""
    return ProcessInstance.objects.select_related("version__definition").defer("serialized", "version__spec_json")


def visible_task(user, task_id, workflow=False):
    """The task with its instance; `workflow`: whether the page reads the instance's workflow."""
    deferred = ["instance__version__spec_json"] + ([] if workflow else ["instance__serialized"])
    task = tasks_visible_to(user, HumanTask.objects.filter(pk=task_id)).select_related(
        "instance__version__definition").defer(*deferred).first()
    if task is None:
        raise Http404
    return task


def visible_instance(user, instance_id, workflow=False):
    """The instance with its version; `workflow`: whether the page reads its workflow."""
    deferred = ["version__spec_json"] + ([] if workflow else ["serialized"])
    # Found and tested for visibility in one statement.
    instance = instances_visible_to(user, ProcessInstance.objects.filter(pk=instance_id)).select_related(
        "version__definition").defer(*deferred).first()
    if instance is None:
        raise Http404
    return instance


def visible_version(user, version_id):
    """A deployed version, for those who see dashboards (its diagram is the heat map's ground)."""
    version = DefinitionVersion.objects.select_related("definition").defer("spec_json").filter(pk=version_id).first()
    if version is None or not has_dashboard(user):
        raise Http404
    return version
