"""What both databases store: the same input is accepted or refused on PostgreSQL and on SQLite.

PostgreSQL refuses a NUL character in text and JSON, and a lone UTF-16 surrogate in JSON; SQLite
keeps both. So the engine refuses them itself, in what callers send and in what a step stores.
"""
import json


def text_problem(text):
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\x00), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"contains an unpaired surrogate ({text[err.start]!r} at {err.start}), which cannot be stored"
    return None


def json_problem(text):
    """Why JSON `text` (as json.dumps writes it, escaping what is not ASCII) cannot be stored, or None."""
    if "\\u0000" not in text and "\\ud" not in text:  # json.dumps writes its escapes in lower case
        return None  # neither a NUL nor any surrogate, paired or not: the usual case, without parsing
    for value in _strings(json.loads(text)):
        problem = text_problem(value)
        if problem:
            return problem
    return None


def _strings(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
