"""What commands do to a loaded workflow, so that engine.api never handles SpiffWorkflow objects itself."""
from django.utils.translation import gettext as _
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from ..errors import Conflict


def set_start_data(workflow, data):
    """Give a new workflow its start data (the tasks ready before it first runs)."""
    for task in workflow.get_tasks(state=TaskState.READY):
        task.set_data(**data)


def reset_failed_tasks(workflow):
    """Make every task that failed ready to run again."""
    for task in workflow.get_tasks(state=TaskState.ERROR):
        workflow.reset_from_task_id(task.id)


def find_task(workflow, row):
    """The workflow's task behind a human task row, or None when it has left the workflow."""
    return task_by_id(workflow, row.id)


def task_by_id(workflow, task_id):
    """The workflow's (or a subprocess's) task `task_id`, or None when there is none."""
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def task_data(task):
    """A task's data (empty for no task)."""
    return dict(task.data) if task is not None else {}


def ready_task(workflow, row):
    """The workflow's task behind a human task row, which must be ready; Conflict otherwise."""
    task = find_task(workflow, row)
    if task is None or task.state != TaskState.READY:
        raise Conflict(_("任务“%(task)s”在流程中已不能办理") % {"task": row.name})
    return task


def run_user_task(task, data):
    """Complete a ready user task with the submitted data; returns the error message when it fails, else None."""
    task.set_data(**data)
    try:
        task.run()
    except WorkflowException as err:
        return str(err)
    return None


def completed_elements(workflow):
    """The BPMN ids of the elements the workflow has completed."""
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}


def unreachable_unfinished(workflow):
    """BPMN ids of unfinished tasks that a workflow reporting itself completed still holds (none when it is)."""
    return [t.task_spec.bpmn_id or t.task_spec.name for t in workflow.tasks.values()
            if t.has_state(TaskState.NOT_FINISHED_MASK)]
