"""What an engine step did, handed back to its caller instead of attributes set on models."""
from dataclasses import dataclass


@dataclass(frozen=True)
class StepResult:
    """The outcome of one command on an instance.

    `task`: the human task row the command acted on (completing it), else None.
    `opened`, `closed`: human task rows the step created, and completed or cancelled.
    `open_tasks`: the instance's open human task rows after the step.
    `events`: the audit rows the step wrote for the instance, in order.
    """

    instance: object  # engine.models.ProcessInstance
    task: object = None  # engine.models.HumanTask
    opened: tuple = ()
    closed: tuple = ()
    open_tasks: tuple = ()
    events: tuple = ()

