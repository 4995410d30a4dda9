"""Rows the domain keeps in step with an instance's data (an index of the offices it names, say).

A listener is told, in the step that changes an instance's data, the data the instance had before (None
for a new instance) and answers the rows to insert and to delete: they are written with the step's own
rows, so they commit or roll back with it and cost no extra round trip.
"""
_listeners = []


def on_data_written(listener):
    """Register `listener(instance, before) -> (rows to insert, rows to delete)`."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def rows_for(instance, before):
    """The rows every listener wants inserted and deleted for the instance's new data."""
    inserts, deletes = [], []
    for listener in _listeners:
        added, removed = listener(instance, before)
        inserts.extend(added)
        deletes.extend(removed)
    return inserts, deletes
