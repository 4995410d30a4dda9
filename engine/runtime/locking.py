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
import uuid
from contextlib import contextmanager

from django.db import connection, transaction

from .. import batch
from ..errors import NotFound
from ..models import HumanTask, ProcessInstance
from .loading import version_by_id

# The lock is the first statement of every step, so it is plain SQL: the ORM would
# spend longer composing it than the database spends running it.
_INSTANCES = ProcessInstance._meta.db_table
_TASKS = HumanTask._meta.db_table


def _lock_sql(where):
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT * FROM {_INSTANCES} WHERE {where}{lock}"


@contextmanager
def locked_instance(instance_id=None, *, task_id=None):
    """Lock the instance (or the instance a human task belongs to) for one step.

    The rows the step writes (engine.batch) are written at its end, in the same transaction.
    """
    with transaction.atomic():
        try:
            key = uuid.UUID(str(task_id if task_id is not None else instance_id))
        except ValueError:
            key = None
        sql = _lock_sql(f"id = (SELECT instance_id FROM {_TASKS} WHERE id = %s)" if task_id is not None
                        else "id = %s")
        found = list(ProcessInstance.objects.raw(sql, [HumanTask._meta.pk.get_db_prep_value(key, connection)])
                     ) if key else []
        if not found:
            raise NotFound(f"no task {task_id}" if task_id is not None else f"no process instance {instance_id}")
        instance = found[0]
        instance.version = version_by_id(instance.version_id)
        with batch.batched():
            yield instance
