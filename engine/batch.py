"""Batching a step's row writes so they reach the database together.

A step changes a handful of rows: the instance, its task rows, timers,
subscriptions, the audit trail. Through the ORM each would be one statement and
one round trip. Here they are collected while the step runs and written at its
end, inside its transaction: on PostgreSQL as one pipelined round trip. Objects
are read when they are written, so a row inserted and then changed within the
step is inserted once, with its final values; a row inserted and deleted within
the step is never written.
"""
import contextvars
from contextlib import contextmanager

from django.db import connection
from django.db.models import AutoField, BigAutoField, SmallAutoField

_current = contextvars.ContextVar("engine_batch", default=None)
_AUTO = (AutoField, BigAutoField, SmallAutoField)


class Batch:
    def __init__(self):
        # Keyed by object identity; the objects are kept, so identities stay unique.
        self._inserts = {}
        self._updates = {}
        self._deletes = {}
        self._checks = []

    def expect(self, sql, params, expected, error):
        """Run a query with the writes; if its first row is not `expected`, raise `error` (rolling back)."""
        self._checks.append((sql, params, expected, error))

    def insert(self, obj):
        self._inserts[id(obj)] = obj

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

    def statements(self):
        quote = connection.ops.quote_name
        by_model = {}
        for obj in self._deletes.values():
            by_model.setdefault(type(obj), []).append(obj.pk)
        for model, pks in by_model.items():
            pk = model._meta.pk
            yield (f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(pk.column)} IN "
                   f"({', '.join(['%s'] * len(pks))})", [pk.get_db_prep_value(v, connection) for v in pks])
        by_model = {}
        for obj in self._inserts.values():
            by_model.setdefault(type(obj), []).append(obj)
        for model, objs in by_model.items():
            fields = [f for f in model._meta.concrete_fields if not isinstance(f, _AUTO)]
            row = f"({', '.join(['%s'] * len(fields))})"
            yield (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                   f"VALUES {', '.join([row] * len(objs))}",
                   [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields])
        for obj, names in self._updates.values():
            meta = obj._meta
            fields = [meta.get_field(name) for name in sorted(names)]
            yield (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
                   f"WHERE {quote(meta.pk.column)} = %s",
                   [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
                   + [meta.pk.get_db_prep_value(obj.pk, connection)])

    def flush(self):
        statements = list(self.statements())
        if not statements and not self._checks:
            return
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            raw = connection.connection
            check_cursors = []
            with raw.pipeline(), raw.cursor() as cursor:
                for sql, params, _, _ in self._checks:
                    check_cursors.append(raw.cursor())
                    check_cursors[-1].execute(sql, params)
                for sql, params in statements:
                    cursor.execute(sql, params)
            found = [c.fetchone() for c in check_cursors]
        else:
            with connection.cursor() as cursor:
                found = []
                for sql, params, _, _ in self._checks:
                    cursor.execute(sql, params)
                    found.append(cursor.fetchone())
                for sql, params in statements:
                    cursor.execute(sql, params)
        for row, (_, _, expected, error) in zip(found, self._checks, strict=True):
            if tuple(row or ()) != tuple(expected):
                raise error
        for obj in self._inserts.values():
            obj._state.adding = False


@contextmanager
def batched():
    """Collect the writes of the block and write them when it ends (inside the caller's transaction)."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    batch = Batch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
    batch.flush()


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


def delete(obj):
    batch = _current.get()
    if batch is None:
        obj.delete()
    else:
        batch.delete(obj)
