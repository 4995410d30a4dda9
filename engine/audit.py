"""Writing the audit trail.

Every step names who acts (`acting_as`); django-fsm transitions of any model
(instances, tasks, domain records) are written through the post_transition
signal, so a record's state never changes without a row here.

What a transition's row carries beyond who, when and the states is passed to
that transition call alone, as its keyword argument `audit` (a dict): the
transition method accepts `audit=None`, and django-fsm hands the call's
arguments to the signal. Nothing is kept on the object for a later transition.
"""
import contextvars
from contextlib import contextmanager

from django_fsm.signals import post_transition

from . import batch, clock

SYSTEM = "system"
_actor = contextvars.ContextVar("engine_actor", default=SYSTEM)


def actor_name(user) -> str:
    if user is None:
        return SYSTEM
    if isinstance(user, str):
        return user
    return user.get_username()


@contextmanager
def acting_as(user):
    token = _actor.set(actor_name(user))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str:
    return _actor.get()


def record(action, *, instance=None, task_id=None, record=None, from_state="", to_state="", data=None, actor=None):
    from .models import AuditEvent

    record_type = record_id = ""
    if record is not None:
        record_type, record_id = record._meta.label, str(record.pk)
    event = AuditEvent(
        at=clock.now(),
        actor=actor_name(actor) if actor is not None else current_actor(),
        action=action,
        instance=instance,
        task_id=task_id,
        record_type=record_type,
        record_id=record_id,
        from_state=from_state or "",
        to_state=to_state or "",
        data=data or {},
    )
    # Inside an engine step the row is written with the step's other rows (engine.batch).
    batch.insert(event)
    return event


def _on_transition(sender, instance, name, source, target, method_kwargs=None, **kwargs):
    from .models import HumanTask, ProcessInstance

    data = (method_kwargs or {}).get("audit")
    if isinstance(instance, ProcessInstance):
        record(f"instance.{name}", instance=instance, from_state=source, to_state=target, data=data)
    elif isinstance(instance, HumanTask):
        record(f"task.{name}", instance=instance.instance, task_id=instance.id, from_state=source, to_state=target,
               data=data)
    else:
        related = getattr(instance, "process_instance", None)
        record(f"{sender._meta.model_name}.{name}", instance=related, record=instance, from_state=source,
               to_state=target, data=data)


def connect_fsm_signal():
    post_transition.connect(_on_transition, dispatch_uid="engine.audit")
