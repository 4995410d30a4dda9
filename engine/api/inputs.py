"""What every command checks of its caller's input before it changes anything."""
from django.contrib.auth import get_user_model

from ..errors import InvalidInput

# SpiffWorkflow reads a dict holding this key as one of its serialized objects.
RESERVED_KEYS = {"typename"}


def check_data(data, what="data"):
    """Instance or task data from a caller: a JSON object whose keys are usable variable names."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput({what: f"must be a JSON object, not {type(data).__name__}"})
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k in RESERVED_KEYS or k.startswith("_")]
    if bad:
        raise InvalidInput({k: "not a usable variable name (letters, digits and _, not starting with _)" for k in bad})
    return data


def user_of(actor):
    """The Django user acting, or None for a username string or the system (no permission checks)."""
    return actor if isinstance(actor, get_user_model()) else None
