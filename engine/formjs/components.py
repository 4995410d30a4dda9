"""What the schema check and the submission's validation both read in a form-js form.

The component types, data paths (a dotted key or path as a tuple of names), the
browser's regular expressions and numbers as Python runs and reads them.
"""
import math
import re

import re2
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


class PatternError(ValueError):
    """A form's pattern that the server cannot match as the browser does, or that the browser would
    match in exponential time."""


_RE2 = re2.Options()
_RE2.log_errors = False  # refused patterns are reported to whoever deploys them, not to the log


@lru_cache(maxsize=256)
def js_regex(pattern):
    """A form-js (JavaScript) pattern as the server matches it: with RE2, in time linear in the input.

    RE2's \\d and \\w are ASCII and its `$` matches only at the very end, as JavaScript's are; the
    browser's \\uXXXX is RE2's \\x{XXXX}. Lookarounds and backreferences, which RE2 cannot match in
    linear time, and groups the browser could take exponential time over (nested_quantifier) raise
    PatternError.
    """
    nested = nested_quantifier(pattern)
    if nested:
        raise PatternError(f"{nested!r} repeats a group of nothing but repetitions: the browser could take "
                           "exponential time to check some inputs")
    try:
        return re2.compile(_UNICODE_ESCAPE.sub(lambda m: f"{m.group(1)}\\x{{{m.group(2)}}}", pattern), _RE2)
    except re2.error as err:
        message = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise PatternError(message) from None


_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9A-Fa-f]{4})")


def nested_quantifier(pattern):
    """A repeated group, as written, that the browser's backtracking could take exponential time over, or None.

    That is a group repeated by a quantifier whose every atom is itself repeated, as in `(a+)+`,
    `(\\d*)*` or `(x+x+)+`: the text it matches can be split among the repetitions in exponentially
    many ways. A group with an atom matched once (`(\\.\\w+)+`, `([a-z]+\\d)*`) cannot be split so.
    """
    found = []
    _sequence(pattern, 0, found)
    return found[0] if found else None


def _sequence(pattern, i, found):
    """Read atoms from i to the closing parenthesis or the end: (index after them, whether an atom repeats,
    whether one is matched once)."""
    repeats = once = False
    while i < len(pattern) and pattern[i] != ")":
        start, char = i, pattern[i]
        if char in "|^$":
            i += 1
            continue
        inner_repeats = False
        if char == "\\":
            i += 2
        elif char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            i = i + 1 + (2 if pattern.startswith(("?:", "?=", "?!"), i + 1) else 0)
            i, inner_repeats, inner_once = _sequence(pattern, i, found)
            inner_repeats = inner_repeats and not inner_once
            i += 1  # the closing parenthesis
        else:
            i += 1
        quantifier_end, repeating = _quantifier(pattern, i)
        if repeating and inner_repeats:
            found.append(pattern[start:i])
        repeats = repeats or repeating or inner_repeats
        once = once or not (repeating or inner_repeats)
        i = quantifier_end
    return i, repeats, once


def _class_end(pattern, i):
    """The index after the character class that starts at i."""
    i += 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


_BRACES = re.compile(r"\{(\d+)(,(\d*))?\}")


def _quantifier(pattern, i):
    """(index after the quantifier at i, whether it repeats its atom a varying number of times)."""
    if i >= len(pattern):
        return i, False
    char = pattern[i]
    if char in "*+?":
        end, varying = i + 1, char != "?"
    else:
        braces = _BRACES.match(pattern, i)
        if braces is None:
            return i, False
        low, comma, high = braces.group(1), braces.group(2), braces.group(3)
        end, varying = braces.end(), bool(comma) and (not high or int(high) > int(low))
    if end < len(pattern) and pattern[end] == "?":
        end += 1  # lazy
    return end, varying


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?")


def amount_text(text):
    """An amount as Chinese officials write it, as plain numeric text: thousands separators (600,000), 万
    (60万 = 600000) and a trailing 元 are read; the browser reads typed amounts by the same rule
    (webui/frontend/forms/amounts.js). Text that is no such amount comes back unchanged."""
    value = text.strip().removesuffix("元").strip()
    ten_thousands = value.endswith("万")
    value = value.removesuffix("万").strip()
    if _GROUPED.fullmatch(value):
        value = re.sub("[,，]", "", value)
    if not _NUMERIC.fullmatch(value) or "e" in value.lower():
        return text
    return str(Decimal(value).scaleb(4).normalize()) if ten_thousands else value


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
