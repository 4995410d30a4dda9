"""Rows the domain keeps in step with an instance: an index of the offices its data names, counts of its
closed tasks.

A data listener is told, in the step that changes an instance's data, the data the instance had before
(None for a new instance) and answers the rows to insert and to delete: they are written with the step's
own rows, so they commit or roll back with it and cost no extra round trip.

A task listener is told, as the step ends, of each human task row it completed or cancelled, with the
data the step leaves; it may add to counts (`add_to_counts`) that the step writes with its rows.
"""
from . import batch

_listeners = []
_task_listeners = []


def on_data_written(listener):
    """Register `listener(instance, before) -> (rows to insert, rows to delete)`."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def on_task_closed(listener):
    """Register `listener(instance, row)`, told of each task row a step completed or cancelled."""
    if listener not in _task_listeners:
        _task_listeners.append(listener)
    return listener


def add_to_counts(obj, fields):
    """Add `obj`'s number `fields` to the row with its primary key, or insert `obj` where there is none:
    within the running step, with its rows; otherwise at once."""
    batch.add_to(obj, fields)


def rows_for(instance, before):
    """The rows every listener wants inserted and deleted for the instance's new data."""
    inserts, deletes = [], []
    for listener in _listeners:
        added, removed = listener(instance, before)
        inserts.extend(added)
        deletes.extend(removed)
    return inserts, deletes


def task_closed(instance, row):
    for listener in _task_listeners:
        listener(instance, row)
