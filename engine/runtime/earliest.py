"""Earliest-allowed completion of a user task: a minimum period (不少于 N 日) as the `notBefore` property.

The expression is evaluated on the task's data as it was when the task opened (what the user submits
cannot move it). A date means the start of that day, China time; a datetime (or a due date from
add_days/add_workdays, which ends at 24:00) is the moment itself.
"""
from datetime import date, datetime, time

from django.utils.translation import gettext
from SpiffWorkflow.exceptions import WorkflowException

from .. import clock
from ..bpmn.parser import not_before_expression, not_before_reason
from ..errors import Conflict, InvalidInput


def _as_moment(value):
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.CHINA)
    if isinstance(value, date):
        return datetime.combine(value, time.min, clock.CHINA)
    raise ValueError(f"an earliest allowed date must be a date or an ISO timestamp, not {value!r}")


def earliest_allowed(workflow, task):
    """The aware moment from which the task may be completed, or None when it has no notBefore."""
    expression = not_before_expression(task.task_spec)
    if not expression:
        return None
    label = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    try:
        return _as_moment(workflow.script_engine.evaluate(task, expression))
    except (WorkflowException, ValueError, TypeError) as err:
        raise Conflict(f"task '{label}': its earliest allowed date (notBefore) cannot be evaluated: {err}") from err


def shown(moment):
    """The moment as users read it: the China date, with the time unless it is the start of the day."""
    local = moment.astimezone(clock.CHINA)
    return f"{local:%Y-%m-%d}" if local.time() == time.min else f"{local:%Y-%m-%d %H:%M}"


def check_not_before(workflow, task):
    """Refuse (InvalidInput) completing the task before its earliest allowed moment."""
    moment = earliest_allowed(workflow, task)
    if moment is None or clock.now() >= moment:
        return
    reason = not_before_reason(task.task_spec) or gettext("法定最短期限未满，暂不能办理此任务")
    message = gettext("%(reason)s（最早可于 %(when)s 办理）") % {"reason": reason, "when": shown(moment)}
    raise InvalidInput({"not_before": message}, message)
