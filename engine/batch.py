"""Batching a step's row writes so they reach the database together.

A step changes a handful of rows: the instance, its task rows, timers,
subscriptions, the audit trail. Through the ORM each would be one statement and
one round trip. Here they are collected while the step runs and written at its
end, inside its transaction: on PostgreSQL as one pipelined round trip. Objects
are read when they are written, so a row inserted and then changed within the
step is inserted once, with its final values; a row inserted and deleted within
the step is never written.

A step's transaction (`step_transaction`) ends with its writes: on PostgreSQL
the COMMIT goes in the same round trip, unless the step runs inside an outer
transaction, which then commits it.
"""
import contextvars
from contextlib import contextmanager
from functools import cache, lru_cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import AutoField, BigAutoField, SmallAutoField

_current = contextvars.ContextVar("engine_batch", default=None)
_AUTO = (AutoField, BigAutoField, SmallAutoField)
_MAX_JOINED_PARAMS = 30000  # PostgreSQL takes at most 65535 in one statement


@cache
def _insert_parts(model):
    """`INSERT INTO table (columns)`, the fields in column order, and one row's placeholders."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, _AUTO)]
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})", fields,
            f"({', '.join(['%s'] * len(fields))})")


@lru_cache(maxsize=1024)
def _numbered(sql):
    """`sql` with PostgreSQL's $1, $2, ... for its %s placeholders."""
    *parts, last = sql.split("%s")
    return "".join(f"{part}${i}" for i, part in enumerate(parts, 1)) + last


class Batch:
    def __init__(self):
        # Keyed by object identity; the objects are kept, so identities stay unique.
        self._inserts = {}
        self._updates = {}
        self._deletes = {}
        self._counts = {}  # (model, key): the row to add to, its amounts summed within the step
        self._requirements = []

    def require(self, sql, params, error):
        """Fail the step with `error` (rolling it back) unless `sql`, a count, is above zero with the writes.

        On PostgreSQL the count divides 1, so a zero fails the transaction in the database itself
        and the COMMIT need not wait for the answer.
        """
        self._requirements.append((sql, params, error))

    def insert(self, obj):
        self._inserts[id(obj)] = obj

    def inserted(self, model):
        """The objects of `model` this batch inserts, in the order they were added."""
        return [obj for obj in self._inserts.values() if type(obj) is model]

    def update(self, obj, fields):
        if id(obj) in self._inserts:
            return
        _, pending = self._updates.setdefault(id(obj), (obj, set()))
        pending.update(fields)

    def delete(self, obj):
        if self._inserts.pop(id(obj), None) is not None:
            return
        self._updates.pop(id(obj), None)
        self._deletes[id(obj)] = obj

    def add_to(self, obj, fields):
        """Add `obj`'s `fields` (numbers) to the row with its key, or insert `obj` if there is none."""
        known = self._counts.get((type(obj), obj.pk))
        if known is None:
            self._counts[(type(obj), obj.pk)] = (obj, tuple(fields))
            return
        for name in fields:
            setattr(known[0], name, getattr(known[0], name) + getattr(obj, name))

    def _deletions(self, db):
        quote = db.ops.quote_name
        by_model = {}
        for obj in self._deletes.values():
            by_model.setdefault(type(obj), []).append(obj.pk)
        for model, pks in by_model.items():
            pk = model._meta.pk
            yield (f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(pk.column)} IN "
                   f"({', '.join(['%s'] * len(pks))})", [pk.get_db_prep_value(v, db) for v in pks])

    def _writes(self, db):
        quote = db.ops.quote_name
        by_model = {}
        for obj in self._inserts.values():
            by_model.setdefault(type(obj), []).append(obj)
        for model, objs in by_model.items():
            into, fields, row = _insert_parts(model)
            yield (f"{into} VALUES {', '.join([row] * len(objs))}",
                   [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in objs for f in fields])
        for obj, names in self._updates.values():
            meta = obj._meta
            fields = [meta.get_field(name) for name in sorted(names)]
            yield (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
                   f"WHERE {quote(meta.pk.column)} = %s",
                   [f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields]
                   + [meta.pk.get_db_prep_value(obj.pk, db)])

    def _additions(self, db):
        """The counts as upserts, a statement per model, rows in key order: two steps adding to the same rows
        lock them in the same order."""
        quote = db.ops.quote_name
        by_model = {}
        for (model, _pk), (obj, fields) in sorted(self._counts.items(), key=lambda item: str(item[0][1])):
            by_model.setdefault(model, []).append((obj, fields))
        for model, added in by_model.items():
            into, fields, row = _insert_parts(model)
            table = quote(model._meta.db_table)
            sums = ", ".join(f"{quote(name)} = {table}.{quote(name)} + EXCLUDED.{quote(name)}" for name in added[0][1])
            yield (f"{into} VALUES {', '.join([row] * len(added))} ON CONFLICT ({quote(model._meta.pk.column)}) "
                   f"DO UPDATE SET {sums}",
                   [f.get_db_prep_save(f.pre_save(obj, True), db) for obj, _ in added for f in fields])

    def flush(self):
        """Write the rows; on PostgreSQL, commit with them if the transaction is the step's own."""
        # The connection itself, not django.db.connection: every field's conversion asks it
        # something, and through that proxy each question is a context-local lookup.
        db = connections[DEFAULT_DB_ALIAS]
        deletions, writes, additions = list(self._deletions(db)), list(self._writes(db)), list(self._additions(db))
        if not deletions and not writes and not additions and not self._requirements:
            return
        if db.vendor == "postgresql":
            self._flush_pipelined(db, deletions + self._joined(writes) + additions)
        else:
            with db.cursor() as cursor:
                for sql, params, error in self._requirements:
                    cursor.execute(sql, params)
                    if not cursor.fetchone()[0]:
                        raise error
                for sql, params in deletions + writes + additions:
                    cursor.execute(sql, params)
        for obj in self._inserts.values():
            obj._state.adding = False

    def _joined(self, writes):
        """The insertions and updates as one statement (PostgreSQL's data-modifying WITH queries).

        Its parts run as one, in no set order, so they are joined only when no row is written twice
        (deletions run before, on their own) and the parameters stay well within the protocol's limit.
        """
        touched = [(type(obj), obj.pk) for obj in (*self._inserts.values(), *(o for o, _ in self._updates.values()))
                   if obj.pk is not None]  # a row without its key yet is new
        params = [p for _, part in writes for p in part]
        if len(writes) < 2 or len(params) > _MAX_JOINED_PARAMS or len(set(touched)) != len(touched):
            return writes
        *parts, (last, _) = writes
        return [("WITH " + ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(parts)) + " " + last, params)]

    def _flush_pipelined(self, db, statements):
        db.ensure_connection()
        raw = db.connection
        # A caller's transaction around the step (or one already doomed) is Django's to end.
        commit = len(db.atomic_blocks) == 1 and not db.needs_rollback
        # Raw cursors take PostgreSQL's own placeholders: psycopg converts no query of ours, while it
        # would parse again, on every step, one with as many parameters as a step's joined writes.
        required = [psycopg.RawCursor(raw) for _ in self._requirements]
        try:
            with raw.pipeline(), psycopg.RawCursor(raw) as cursor:
                for requiring, (sql, params, _) in zip(required, self._requirements, strict=True):
                    requiring.execute(_numbered(f"SELECT 1 / ({sql})"), params)
                for sql, params in statements:
                    cursor.execute(_numbered(sql), params)
                if commit:
                    # As a statement, it is answered with the others as the pipeline ends (raw.commit()
                    # would wait for its own answer); Django's commit then finds no transaction to end.
                    cursor.execute("COMMIT", prepare=False)
        except psycopg.errors.DivisionByZero as err:
            # The requirements run first, in order: the first without an answer is the one that failed.
            answered = psycopg.pq.ExecStatus.TUPLES_OK
            for requiring, (_, _, error) in zip(required, self._requirements, strict=True):
                if requiring.pgresult is None or requiring.pgresult.status != answered:
                    raise error from err
            raise
        finally:
            for requiring in required:
                requiring.close()


@contextmanager
def step_transaction():
    """One engine step's transaction: its writes collected, then written as it ends.

    A step that runs within another (a child instance started by its parent's step) adds its
    writes to the outer step's.
    """
    with transaction.atomic():
        if _current.get() is not None:
            yield
            return
        batch = Batch()
        token = _current.set(batch)
        try:
            yield
        finally:
            _current.reset(token)
        batch.flush()


def running():
    """Whether an engine step is running in this context."""
    return _current.get() is not None


def current():
    """The batch of the running step; there must be one."""
    batch = _current.get()
    if batch is None:
        raise RuntimeError("no engine step is running")
    return batch


def insert(obj):
    batch = _current.get()
    if batch is None:
        obj.save(force_insert=True)
    else:
        batch.insert(obj)


def update(obj, fields):
    batch = _current.get()
    if batch is None:
        obj.save(update_fields=list(fields))
    else:
        batch.update(obj, fields)


def add_to(obj, fields):
    """Add `obj`'s `fields` to the row with its key (engine.batch.Batch.add_to), in the running step if one runs."""
    batch = _current.get()
    if batch is None:
        batch = Batch()
        batch.add_to(obj, fields)
        with transaction.atomic():
            batch.flush()
    else:
        batch.add_to(obj, fields)


def delete(obj):
    batch = _current.get()
    if batch is None:
        obj.delete()
    else:
        batch.delete(obj)
