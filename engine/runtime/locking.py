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
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections

from .. import batch
from ..errors import NotFound
from ..models import HumanTask, ProcessInstance
from ..models.tasks import TaskState
from .loading import version_by_id

# The lock is the first statement of every step, so it is plain SQL: the ORM would
# spend longer composing it than the database spends running it.
_INSTANCES = ProcessInstance._meta.db_table
_TASKS = HumanTask._meta.db_table


@cache
def _columns(model):
    """The model's columns in field order, and the fields whose database values need converting."""
    fields = model._meta.concrete_fields
    return (", ".join(connection.ops.quote_name(f.column) for f in fields), [f.attname for f in fields],
            [(i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")])


def _lock_sql(where):
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT * FROM {_INSTANCES} WHERE {where}{lock}"


def _lock_with_open_tasks(db, where, param):
    """Lock the instance row and read its open task rows in one round trip (BEGIN included).

    The task rows are read by a second statement, after the lock is held, so they are the ones
    the previous step on this instance committed. The rows wait on the instance for mirror.KnownRows.
    The columns are named, so rows become models without asking the cursor what it returned.
    """
    instance_columns, task_columns = _columns(ProcessInstance), _columns(HumanTask)
    raw = db.connection
    with raw.cursor() as locking, raw.cursor() as reading:
        with raw.pipeline():  # sent, and answered, as the block ends
            locking.execute(f"SELECT {instance_columns[0]} FROM {_INSTANCES} WHERE {where} FOR UPDATE", [param])
            reading.execute(f"SELECT {task_columns[0]} FROM {_TASKS} WHERE instance_id = (SELECT id FROM "
                            f"{_INSTANCES} WHERE {where}) AND state IN ({', '.join(['%s'] * len(TaskState.ACTIVE))})",
                            [param, *TaskState.ACTIVE])
        row = locking.fetchone()
        task_rows = reading.fetchall() if row is not None else []
    if row is None:
        return None
    instance = _model_from_row(db, ProcessInstance, instance_columns, row)
    instance.open_task_rows = {task.id: task for task in (_model_from_row(db, HumanTask, task_columns, r)
                                                           for r in task_rows)}
    return instance


def _model_from_row(db, model, columns, row):
    """A model object from a row of `columns` (see _columns), its values converted as the ORM would."""
    _, attnames, converted = columns
    values = list(row)
    for i, field in converted:
        if values[i] is not None:
            values[i] = field.from_db_value(values[i], None, db)
    return model.from_db(db.alias, attnames, values)


@contextmanager
def locked_instance(instance_id=None, *, task_id=None):
    """Lock the instance (or the instance a human task belongs to) for one step.

    The rows the step writes (engine.batch) are written at its end, with the commit.
    """
    # The connection itself rather than django.db.connection, whose every use is a context-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    with batch.step_transaction():
        try:
            key = uuid.UUID(str(task_id if task_id is not None else instance_id))
        except ValueError:
            key = None
        where = f"id = (SELECT instance_id FROM {_TASKS} WHERE id = %s)" if task_id is not None else "id = %s"
        param = HumanTask._meta.pk.get_db_prep_value(key, db)
        if key is None:
            instance = None
        elif db.vendor == "postgresql":
            instance = _lock_with_open_tasks(db, where, param)
        else:
            instance = next(iter(ProcessInstance.objects.raw(_lock_sql(where), [param])), None)
        if instance is None:
            raise NotFound(f"no task {task_id}" if task_id is not None else f"no process instance {instance_id}")
        instance.version = version_by_id(instance.version_id)
        yield instance
