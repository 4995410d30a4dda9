"""Fetching what a user asked for by id, only when they may see it: 404 otherwise, so ids cannot be probed."""
from django.http import Http404

from engine.models import DefinitionVersion, HumanTask, ProcessInstance
from workflows.visibility import can_see_instance, tasks_visible_to

from ..permissions import dashboard_prefectures


def visible_task(user, task_id):
    task = tasks_visible_to(user, HumanTask.objects.filter(pk=task_id)).select_related(
        "instance__version__definition").first()
    if task is None:
        raise Http404
    return task


def visible_instance(user, instance_id):
    instance = ProcessInstance.objects.select_related("version__definition").filter(pk=instance_id).first()
    if instance is None or not can_see_instance(user, instance):
        raise Http404
    return instance


def visible_version(user, version_id):
    """A deployed version, for those who see dashboards (its diagram is the heat map's ground)."""
    version = DefinitionVersion.objects.select_related("definition").filter(pk=version_id).first()
    if version is None or not dashboard_prefectures(user).exists():
        raise Http404
    return version
