"""Keeping a workflow's runtime state apart from its history.

SpiffWorkflow keeps every task an instance ever ran in one tree: each step would load
and store the whole history, and a loop that goes round ~500 times reaches the tree
iterator's depth limit, after which the workflow reports itself completed. What
happened is already kept elsewhere (task rows, the audit trail, the instance's
completed elements), so after each step the tree is cut back to what the instance
needs to go on:

- every task not finished yet (ready, waiting, started, predicted) and every failed one;
- the parent of each of those: joins read it (a parallel gateway waits for a completed
  parent on each input), boundary events and event-based gateways cancel siblings through
  it, and a reset (retry, migration) takes its data;
- the finished tasks of a join (parallel, inclusive) since it last fired, with their parents:
  a branch that reached the join leaves a task there that the next arrival cancels, and the
  join counts the branch as arrived by that cancelled task's completed parent;
- the root and the workflow's last completed task.

A kept task whose parent goes hangs from the root, in the order it had in the tree.
Subprocesses whose task goes are dropped with it.
"""
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

from ..bpmn.serializer import dump_state, load_state
from .workflow_ops import completed_elements, task_by_id

_KEEP = TaskState.NOT_FINISHED_MASK | TaskState.ERROR


def prune(workflow):
    """Drop the finished tasks the workflow no longer needs (see the module docstring).

    Returns the dropped tasks, detached: the caller keeps what it needs of them (completed elements).
    """
    dropped = _prune_one(workflow)
    # Subprocesses come after the one they are nested in, so a parent is cut back before its children.
    for task_id in list(workflow.subprocesses):
        if task_id not in workflow.subprocesses:
            continue  # went with the subprocess it was nested in
        if task_by_id(workflow, task_id) is None:
            dropped += _drop_subprocess(workflow, task_id)
        else:
            dropped += _prune_one(workflow.subprocesses[task_id])
    return dropped


def _drop_subprocess(workflow, task_id):
    """Forget a subprocess whose task went, with the subprocesses nested in it; returns their tasks."""
    subprocess = workflow.subprocesses.pop(task_id)
    dropped = list(subprocess.tasks.values())
    for nested_id in [i for i, s in workflow.subprocesses.items() if s.parent_task_id in subprocess.tasks]:
        if nested_id in workflow.subprocesses:
            dropped += _drop_subprocess(workflow, nested_id)
    return dropped


def cut_back_stored(text, spec, subprocess_specs, serializer_version):
    """A state stored with its whole history, cut back: (state text, completed element ids)."""
    workflow = load_state(text, spec, subprocess_specs, serializer_version)
    history = completed_elements(workflow)
    prune(workflow)
    return dump_state(workflow), sorted(history)


def completed_of(tasks):
    """The BPMN ids of the elements completed among `tasks`."""
    return {t.task_spec.bpmn_id for t in tasks if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id}


def _prune_one(workflow):
    root = workflow.task_tree
    keep = {root.id}
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)
    fired = {}  # join spec -> when it last fired
    for task in workflow.tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin) and task.state == TaskState.COMPLETED:
            fired[task.task_spec] = max(fired.get(task.task_spec, task.last_state_change), task.last_state_change)
    for task in workflow.tasks.values():
        if task.has_state(_KEEP) or (isinstance(task.task_spec, UnstructuredJoin)
                                     and task.last_state_change > fired.get(task.task_spec, float("-inf"))):
            keep.add(task.id)
            if task.parent is not None:
                keep.add(task.parent.id)
    if len(keep) == len(workflow.tasks):
        return []
    order = _depth_first(root)
    hung = [task for task in order if task.id in keep and task is not root and task.parent.id not in keep]
    for task in order:
        if task.id in keep:
            task.children = [child for child in task.children if child.id in keep]
    root.children = root.children + hung
    for task in hung:
        task.parent = root
    dropped = [task for task in order if task.id not in keep]
    for task in dropped:
        del workflow.tasks[task.id]
    return dropped


def _depth_first(root):
    """Every task of the tree below `root`, parents before children, without recursion."""
    found, stack = [], [root]
    while stack:
        task = stack.pop()
        found.append(task)
        stack.extend(reversed(task.children))
    return found
