"""Conditional events, checked again at every step of their instance.

SpiffWorkflow evaluates a conditional catch event's condition when the event is reached and then never
again. The rule here: after the engine has run everything it can in a step, every conditional event the
instance waits at (intermediate, boundary, or in an event-based gateway) is evaluated again, against the
instance's data as the step left it (the data of the task that completed last), which it also takes
when it fires; a condition that holds fires its event, and the step goes on. Every step of an instance
is where its data can change: a task completed, a message or signal caught, a timer fired, a retry.
"""
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.util.task import TaskState

from .. import spiff_private
from .mirror import event_definitions_of


_specs = {}  # id(process spec) -> (spec, whether it or a process it runs has a conditional event)


def _has_conditions(workflow):
    spec = workflow.spec
    known = _specs.get(id(spec))
    if known is None or known[0] is not spec:
        found = any(isinstance(d, ConditionalEventDefinition)
                    for process in (spec, *workflow.subprocess_specs.values())
                    for task_spec in process.task_specs.values() for d in event_definitions_of(task_spec))
        known = _specs[id(spec)] = (spec, found)
    return known[1]


def fire_held(workflow):
    """Evaluate the waiting conditional events again; returns how many fired."""
    if not _has_conditions(workflow):
        return 0  # most processes have none: no walk of the task tree for them
    latest = workflow.last_task
    fired = 0
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = task.task_spec.event_definition if hasattr(task.task_spec, "event_definition") else None
        if not isinstance(definition, ConditionalEventDefinition):
            continue
        # SpiffWorkflow would evaluate it over the data the event had when reached (its update takes the
        # parent's data again): evaluated here over the newest, which the event keeps when it fires.
        kept = task.data
        task.data = {**kept, **(latest.data if latest is not None and latest is not task else {})}
        if workflow.script_engine.evaluate(task, definition.expression):
            spiff_private.fire(task)
            fired += 1
        else:
            task.data = kept
    return fired
