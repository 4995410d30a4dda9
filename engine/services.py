"""Service-task handlers: the domain registers them by name; diagrams call them by that name.

A handler receives a ServiceCall and returns a JSON-serializable result, which the
service task stores under its result variable. A handler runs inside the
instance's step transaction, so its database writes commit or roll back with it.
"""
from dataclasses import dataclass

_handlers = {}


@dataclass(frozen=True)
class ServiceCall:
    instance: object  # engine.models.ProcessInstance
    element: str  # BPMN id of the service task
    params: dict
    data: dict  # a copy of the task's data
    actor: str


def service(name):
    """Register the decorated function as the handler of service operator `name`."""

    def register(func):
        if name in _handlers and _handlers[name] is not func:
            raise ValueError(f"service handler '{name}' is registered twice")
        _handlers[name] = func
        return func

    return register


def is_registered(name) -> bool:
    return name in _handlers


def get(name):
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"no service handler is registered as '{name}'") from None


def names():
    return sorted(_handlers)
