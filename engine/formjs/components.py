"""What the schema check and the submission's validation both read in a form-js form.

The component types, data paths (a dotted key or path as a tuple of names), the
browser's regular expressions and numbers as Python runs and reads them.
"""
import math
import re
from decimal import Decimal
from functools import lru_cache

# The component types of form-js 1.23's viewer (its `formFields`).
INPUTS = {"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist",
          "datetime", "filepicker"}
KEYED = INPUTS | {"expression"}
CONTAINERS = {"group", "dynamiclist"}
DISPLAY = {"text", "html", "image", "spacer", "separator", "iframe", "button", "table", "documentPreview"}
TYPES = KEYED | CONTAINERS | DISPLAY
OPTION_TYPES = {"select", "radio", "checklist", "taglist"}

_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def has_editable_input(components):
    """Whether a user can change anything among `components`: an input neither disabled nor always readonly."""
    for component in components:
        if component.get("type") in CONTAINERS:
            if has_editable_input(component.get("components", [])):
                return True
        elif component.get("type") in INPUTS and not component.get("disabled") \
                and component.get("readonly") is not True:
            return True
    return False


def split_path(path):
    return tuple(path.split(".")) if path else ()


def get_path(data, path):
    for segment in path:
        if not isinstance(data, dict):
            return None
        data = data.get(segment)
    return data


def set_path(data, path, value):
    """Set `value` at `path` (a sequence of keys) in nested dicts, making the dicts on the way."""
    for segment in path[:-1]:
        data = data.setdefault(segment, {})
    data[path[-1]] = value


def delete_path(data, path):
    parent = get_path(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


@lru_cache(maxsize=256)
def js_regex(pattern):
    """A form-js (JavaScript) pattern as Python runs it with the browser's meaning.

    JavaScript's \\d and \\w are ASCII, and its `$` matches only at the very end
    (Python's also before a final newline, which would let "123\\n" pass ^\\d+$).
    """
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(r"\Z" if char == "$" and not in_class else char)
        i += 1
    return re.compile("".join(out), re.ASCII)


def to_decimal(value):
    """A number as the browser may send it (JSON number or numeric text) as an exact Decimal, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def same_value(a, b):
    """Option equality as JSON sees it: 1 and 1.0 are one number, but neither is "1" nor true."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        return a == b
    return type(a) is type(b) and a == b
