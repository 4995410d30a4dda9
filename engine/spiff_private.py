"""Every use of SpiffWorkflow 3.2's private API, in one place.

SpiffWorkflow offers no public way to do these. Each is pinned by a test in
tests/test_spiff_private.py that fails when an upgrade changes what it relies on;
the rest of the engine calls these functions and never the private names.
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.util.task import TaskState


def install_clock(datetime_class, naive_zone):
    """Make SpiffWorkflow's timers read "now" from `datetime_class.now()` and naive dates in `naive_zone`.

    The timer module calls datetime.now() and reads naive dates with an offset taken at import
    (module globals `datetime` and `LOCALTZ`); it has no clock hook.
    """
    _timer_module.datetime = datetime_class
    _timer_module.LOCALTZ = naive_zone


def update_task(task):
    """Let a waiting task act on what just changed (an event it caught, a timer due time forgotten).

    SpiffWorkflow runs a spec's `_update` only inside its own engine steps.
    """
    task.task_spec._update(task)


def fire(task):
    """Make a waiting catch event ready to run, as SpiffWorkflow does once its event has fired."""
    task._ready()


def add_branches(task):
    """Give a waiting task the children its outgoing flows lead to, as SpiffWorkflow gives a cycle timer's
    task when a cycle comes due (CycleTimerEventDefinition.update_task); before then it has none."""
    for output in task.task_spec.outputs:
        child = task._add_child(output, TaskState.FUTURE)
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)


def hold_cycle(task):
    """Keep a cycle timer's task from taking branches of its own: SpiffWorkflow adds one at each update while
    an occurrence is past (CycleTimerEventDefinition.cycle_complete, reading `event_value`); this sets the
    next occurrence beyond any date."""
    task._set_internal_data(event_value={"cycles": 1, "next": datetime.max.replace(tzinfo=timezone.utc).isoformat(),
                                         "duration": 0.0})


def forget_timer_due(task):
    """Make a waiting timer compute its due time again at its next update (it keeps the first as `event_value`)."""
    task.internal_data.pop("event_value", None)


def task_state(task):
    """A task's data and internal data, to give back to it after SpiffWorkflow resets it (restore_task_state)."""
    return task.data, task.internal_data


def restore_task_state(task, state):
    task.data, task.internal_data = state


def encoding_registry(registry):
    """`registry` switched for good into the mode SpiffWorkflow's serializer uses while it writes JSON.

    SpiffWorkflow flips `_encoder_mode` on its one registry around each write, which another
    thread would see half-way; a registry kept for writing only never needs flipping.
    """
    registry._encoder_mode = True
    return registry
