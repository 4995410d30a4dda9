"""Decision table cells as the sandbox's Python.

dmn-js and Camunda Modeler write input cells as FEEL unary tests (`>= 90`, `[80..90[`, `"a","b"`,
`not("x")`, `-`) and output cells as FEEL literals (`"优秀"`, `true`, `null`). SpiffWorkflow 3.2 runs
cells as Python and fails on FEEL at run time, so each cell is translated once, when the table is read,
into a Python test on `?` (SpiffWorkflow's name for the input's value). A cell already written in
SpiffWorkflow's Python style (`in ["a", "b"]`, `? > 3 and ? < 5`) is kept as it is.
"""
import ast
import re

# FEEL interval ends: `[` and `]` name the bound's side, `(` and `)` exclude it as `]` and `[` do.
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.S)
_COMPARISON = re.compile(r"^(<=|>=|<|>|=|!=)\s*(.+)$", re.S)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.S)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LITERALS = {"true": "True", "false": "False", "null": "None"}


class NotATest(ValueError):
    """A cell that is neither a FEEL unary test nor a Python test."""


def _compiles(source):
    try:
        ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return True


def value(text):
    """A FEEL literal or name as Python: true/false/null become True/False/None, the rest is kept."""
    text = text.strip()
    return _LITERALS.get(text, text)


def _split(text):
    """The comma-separated parts of `text` outside quotes and brackets."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            if char == "\\":
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _one(test):
    """One FEEL simple positive unary test as a Python test on `?`, or None when it is not one."""
    if test == "null":
        return "? is None"
    found = _RANGE.match(test)
    if found:
        opening, low, high, closing = found.groups()
        low_op = "<=" if opening == "[" else "<"
        high_op = "<=" if closing == "]" else "<"
        return f"({value(low)}) {low_op} ? {high_op} ({value(high)})"
    found = _COMPARISON.match(test)
    if found:
        operator, operand = found.groups()
        return f"? {'==' if operator == '=' else operator} ({value(operand)})"
    if _compiles(value(test)):
        return f"? == ({value(test)})"
    return None


def input_test(text):
    """The Python test on `?` for an input cell, or None for a cell that matches anything.

    Raises NotATest when the cell is neither FEEL nor Python.
    """
    text = (text or "").strip()
    if text in ("", "-"):
        return None
    if "?" in _QUOTED.sub("", text) or text.startswith(("in ", "not in ", "==", "is ")):
        return text  # SpiffWorkflow's own style
    negated = _NOT.match(text)
    body = negated.group(1).strip() if negated else text
    tests = [_one(part) for part in _split(body)]
    if None not in tests and all(tests):
        joined = " or ".join(f"({t})" for t in tests) if len(tests) > 1 else tests[0]
        python = f"not ({joined})" if negated else joined
        if _compiles(python.replace("?", "dmninputexpr")):
            return python
    # Neither FEEL: maybe an operator form SpiffWorkflow accepts (`< len(x)`), which needs the input before it.
    if _compiles("dmninputexpr " + text):
        return "? " + text
    raise NotATest(text)


def output_value(text):
    """The Python expression for an output cell ("" for an empty cell)."""
    return value(text or "")
