"""Option lists the domain gives forms by name: a select, radio, checklist or taglist whose `valuesKey` names
a registered list gets it when its form is shown and when its submission is checked, read at that moment.

The list is not kept in the instance's data: one of every registered organisation, say, would be written
again at each of the instance's steps, and would go stale as organisations register.
"""
from .formjs.components import CONTAINERS, OPTION_TYPES

_lists = {}


def form_options(name):
    """Register the decorated function as the option list `name`: it takes no argument and returns
    [{"label": ..., "value": ...}], as form-js reads a `valuesKey` list."""

    def register(func):
        _lists[name] = func
        return func

    return register


def options_for(schema):
    """{valuesKey: options} of the registered lists that `schema`'s components name."""
    names = set()
    _named(schema.get("components", []) if schema else [], names)
    return {name: _lists[name]() for name in sorted(names)}


def _named(components, names):
    for component in components:
        if component.get("type") in CONTAINERS:
            _named(component.get("components", []), names)
        elif component.get("type") in OPTION_TYPES and isinstance(component.get("valuesKey"), str) \
                and component["valuesKey"] in _lists:
            names.add(component["valuesKey"])
