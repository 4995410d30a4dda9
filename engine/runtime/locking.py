"""The lock strategy: one instance row, one step at a time.

Every engine step runs in one database transaction that first locks the
instance's row (SELECT ... FOR UPDATE on PostgreSQL). Whatever the step does
to the workflow state, task rows, timers, messages and the audit trail commits
together or not at all, and a second step on the same instance waits until
the first has committed, then sees its result.

SQLite has no row locks; its connections open IMMEDIATE transactions (see
settings), which take the database's write lock at BEGIN and so serialise steps
the same way, across processes too.

Steps never lock two instances at once: a message to another instance is
stored in the sender's step and delivered in a step of the receiver, so two
instances messaging each other cannot deadlock.
"""
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import batch
from ..errors import NotFound
from ..models import ProcessInstance

_LOCKED = (ProcessInstance.objects.select_for_update(of=("self",))
           .select_related("version__definition").defer("version__spec_json"))


@contextmanager
def locked_instance(instance_id=None, *, task_id=None):
    """Lock the instance (or the instance a human task belongs to) for one step.

    The rows the step writes (engine.batch) are written at its end, in the same transaction.
    """
    with transaction.atomic():
        try:
            if task_id is not None:
                instance = _LOCKED.get(tasks__id=task_id)
            else:
                instance = _LOCKED.get(pk=instance_id)
        except (ProcessInstance.DoesNotExist, ValueError, ValidationError):
            raise NotFound(f"no task {task_id}" if task_id is not None
                           else f"no process instance {instance_id}") from None
        with batch.batched():
            yield instance
