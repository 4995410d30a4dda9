"""Steps that fail outside the workflow: tried again when the failure may pass, an incident when it cannot.

A script or service error fails the instance inside its step (step.py): the step commits with the
instance `failed`. A failure of the step itself rolls all of it back: a value the database refuses
at commit, a lost connection, a deadlock, a handler's TryAgain, a bug. Those that may pass are tried
again, a few times with a growing pause; the others, and the last try, leave the instance `failed`
with the error, the element and the attempt count, audited, and its claimed timers free. Nothing
then claims its timers or delivers it messages until someone retries it.
"""
import logging
import time

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django_fsm import can_proceed

from .. import audit
from ..errors import EngineError, StepFailed, TryAgain
from ..models import HumanTask, ProcessInstance, Timer
from .step import UnstorableState

log = logging.getLogger(__name__)

_MAY_PASS = (OperationalError, InterfaceError, TryAgain)


def run_step(step, *, instance_id=None, task_id=None, element=""):
    """Run `step` (a callable running one engine step in its own transaction) until it succeeds or cannot.

    `instance_id` or `task_id` names the instance the step works on; `element` the BPMN element it was
    about (the completed task, say). Raises StepFailed once the failure is recorded as an incident; errors
    of the caller's input (EngineError) pass through at once.
    """
    if connection.in_atomic_block:
        return step()  # the caller's transaction decides: nothing can be tried again inside it
    attempts = settings.ENGINE["STEP_ATTEMPTS"]
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except EngineError as err:
            if not isinstance(err, TryAgain):
                raise
            failure = err
        except Exception as err:  # noqa: BLE001 - every other failure is the step's, recorded below
            failure = err
        if isinstance(failure, _MAY_PASS) and attempt < attempts:
            log.warning("step on %s failed (%s), trying again", instance_id or task_id, failure)
            connection.close_if_unusable_or_obsolete()
            time.sleep(settings.ENGINE["STEP_RETRY_SECONDS"] * 4 ** (attempt - 1))
            continue
        break
    log.error("step on %s failed for good after %s attempt(s)", instance_id or task_id, attempt, exc_info=failure)
    if instance_id is None and task_id is not None:
        instance_id, element = HumanTask.objects.filter(pk=task_id).values_list("instance_id", "bpmn_id").first() \
            or (None, element)
    message = describe(failure)
    if instance_id is not None:
        record(instance_id, message, element, attempt)
    raise StepFailed(message) from failure


def describe(failure):
    """The failure in one line that any database stores."""
    if isinstance(failure, TryAgain):
        text = f"still failing after retries: {failure}"
    elif isinstance(failure, DatabaseError):
        text = f"the database refused the step: {failure}"
    elif isinstance(failure, UnstorableState):
        text = str(failure)
    else:
        text = f"{type(failure).__name__}: {failure}"
    first = text.strip().splitlines()[0] if text.strip() else type(failure).__name__
    return first.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def record(instance_id, message, element, attempts):
    """Leave the instance `failed` with the incident, in a transaction of its own, and free its claimed timers."""
    connection.close_if_unusable_or_obsolete()
    with transaction.atomic(), audit.acting_as(None):
        instance = ProcessInstance.objects.select_for_update().filter(pk=instance_id).first()
        if instance is None:
            return
        claimed = Timer.objects.filter(instance=instance, state=Timer.CLAIMED)
        element = element or next(iter(claimed.values_list("bpmn_id", flat=True)), "")
        if can_proceed(instance.fail):
            instance.fail(message, element, attempts, audit={"error": message, "attempts": attempts})
            instance.save(update_fields=["state", "error", "error_element", "error_attempts"])
        claimed.update(state=Timer.WAITING, claimed_at=None)
