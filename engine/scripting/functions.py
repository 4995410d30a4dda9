"""Functions that expressions and scripts in diagrams may call, beyond the sandbox's basics.

The working-day calendar's functions are always there; the domain may add its own
with @script_function.
"""
_functions = {}


def script_function(name=None):
    def register(func):
        _functions[name or func.__name__] = func
        return func

    return register


def available() -> dict:
    from .. import workcalendar

    return {**workcalendar.SCRIPT_FUNCTIONS, **_functions}
