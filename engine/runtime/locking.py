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
from ..models import HumanTask, ProcessInstance, Timer
from .loading import version_by_id
from .mirror import ACTIVE_TASKS, KnownRows

# The lock is the first statement of every step, so it is plain SQL: the ORM would
# spend longer composing it than the database spends running it.
_INSTANCES = ProcessInstance._meta.db_table
_TASKS = HumanTask._meta.db_table
_TIMERS = Timer._meta.db_table


@cache
def _columns(model):
    """The model's columns in field order, and the fields whose database values need converting."""
    fields = model._meta.concrete_fields
    return (", ".join(connection.ops.quote_name(f.column) for f in fields), [f.attname for f in fields],
            [(i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")])


def _lock_with_open_tasks(db, key, param):
    """Lock the instance row and read its open task rows and timer rows in one round trip (BEGIN included).

    The task and timer rows are read by further statements, after the lock is held, so they are the
    ones the previous step on this instance committed. Returns (instance, {task id: row}, {timer task id:
    row}), or (None, None, None). The columns are named, so rows become models without asking the cursor
    what it returned.
    """
    instance_columns, task_columns, timer_columns = _columns(ProcessInstance), _columns(HumanTask), _columns(Timer)
    raw = db.connection
    with raw.cursor() as locking, raw.cursor() as reading, raw.cursor() as timing:
        with raw.pipeline():  # sent, and answered, as the block ends
            locking.execute(f"SELECT {instance_columns[0]} FROM {_INSTANCES} WHERE id = {key} FOR UPDATE", [param])
            reading.execute(f"SELECT {task_columns[0]} FROM {_TASKS} WHERE instance_id = {key} AND {ACTIVE_TASKS}",
                            [param])
            # A step woken by a timer needs its rows; any other step gets them in the same round trip.
            timing.execute(f"SELECT {timer_columns[0]} FROM {_TIMERS} WHERE instance_id = {key}", [param])
        row = locking.fetchone()
        task_rows = reading.fetchall() if row is not None else []
        timer_rows = timing.fetchall() if row is not None else []
    if row is None:
        return None, None, None
    instance = _model_from_row(db, ProcessInstance, instance_columns, row)
    open_tasks, timers = {}, {}
    for task_row in task_rows:
        task = _model_from_row(db, HumanTask, task_columns, task_row)
        task.instance = instance
        open_tasks[task.id] = task
    for timer_row in timer_rows:
        timer = _model_from_row(db, Timer, timer_columns, timer_row)
        timer.instance = instance
        timers[timer.task_id] = timer
    return instance, open_tasks, timers


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

    Yields (instance, rows): `rows` is the step's mirror.KnownRows, holding the open task rows when
    the lock read them. The rows the step writes (engine.batch) are written at its end, with the commit.
    """
    # The connection itself rather than django.db.connection, whose every use is a context-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    with batch.step_transaction():
        try:
            key = uuid.UUID(str(task_id if task_id is not None else instance_id))
        except ValueError:
            key = None
        # The instance's id, or the id of the instance the task belongs to.
        instance_key = f"(SELECT instance_id FROM {_TASKS} WHERE id = %s)" if task_id is not None else "%s"
        param = HumanTask._meta.pk.get_db_prep_value(key, db)
        instance = open_tasks = timers = None
        if key is not None and db.vendor == "postgresql":
            instance, open_tasks, timers = _lock_with_open_tasks(db, instance_key, param)
        elif key is not None:  # SQLite's IMMEDIATE transaction already holds the database's write lock
            instance = next(iter(ProcessInstance.objects.raw(
                f"SELECT * FROM {_INSTANCES} WHERE id = {instance_key}", [param])), None)
        if instance is None:
            raise NotFound(f"no task {task_id}" if task_id is not None else f"no process instance {instance_id}")
        instance.version = version_by_id(instance.version_id)
        yield instance, KnownRows(instance, tasks=open_tasks, timers=timers)
