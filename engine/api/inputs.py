"""What every command checks of its caller's input before it changes anything.

Whatever one database cannot store is refused on both (engine/storable.py), and JSON has no NaN.
"""
import math
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from ..errors import InvalidInput
from ..storable import text_problem

# SpiffWorkflow reads a dict holding this key as one of its serialized objects.
RESERVED_KEYS = {"typename"}
MAX_DEPTH = 32  # lists and objects within each other: deeper is no form's data, and recursion has limits
_PLAIN = (bool, int, str, type(None), Decimal, date, datetime)


def check_data(data, what="data"):
    """Instance or task data from a caller: a JSON object whose keys are usable variable names.

    Problems are keyed by the value's path, the way form fields are ("lines[0].item"), under
    `what` unless it is the data itself ("payload.note").
    """
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput({what: f"must be a JSON object, not {type(data).__name__}"})
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k in RESERVED_KEYS or k.startswith("_")]
    if bad:
        raise InvalidInput({k: "not a usable variable name (letters, digits and _, not starting with _)" for k in bad})
    problems = {}
    prefix = "" if what == "data" else f"{what}."
    for key, value in data.items():
        _check_value(value, prefix + key, 1, problems)
    if problems:
        raise InvalidInput(problems)
    return data


def check_text(text, what, max_length=None):
    """A text field from a caller: storable, and no longer than its column."""
    if not isinstance(text, str):
        raise InvalidInput({what: f"must be text, not {type(text).__name__}"})
    problem = text_problem(text) or (
        f"is {len(text)} characters long; at most {max_length} fit" if max_length and len(text) > max_length else None)
    if problem:
        raise InvalidInput({what: problem})
    return text


def _check_value(value, path, depth, problems):
    """Collect {path: problem} for what in `value` cannot be stored; iterative within one level of nesting."""
    if depth > MAX_DEPTH:
        problems[path] = f"is nested more than {MAX_DEPTH} levels deep"
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or text_problem(key):
                problems[path] = f"has a key that cannot be stored ({key!r})"
            else:
                _check_value(item, f"{path}.{key}", depth + 1, problems)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]", depth + 1, problems)
    elif isinstance(value, float):
        if not math.isfinite(value):
            problems[path] = f"is {value}, which JSON cannot hold"
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            problems[path] = problem
    elif not isinstance(value, _PLAIN):
        problems[path] = f"is a {type(value).__name__}, not a JSON value"


def user_of(actor):
    """The Django user acting, or None for a username string or the system (no permission checks)."""
    return actor if isinstance(actor, get_user_model()) else None
