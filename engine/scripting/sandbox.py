"""A sandboxed Python for script tasks, conditions, timer and other expressions in diagrams.

Source is checked with `ast` before it runs and then runs with a whitelist of
builtins, within time, memory and size limits (limits.py). The static check is the real barrier: every known way out of a Python
sandbox goes through an attribute starting with '_' (`__class__`, `__globals__`,
`__subclasses__`), a frame or traceback attribute, or an attribute lookup hidden in
str.format ("{0.__class__}") or a match class pattern (`case str(format=f)`), and
all of those are refused by name.
"""
import ast
import builtins
import copy
import functools
from datetime import date as _date, datetime as _datetime, timedelta, timezone
from decimal import Decimal
from types import CodeType, ModuleType
from typing import NamedTuple

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import clock

from . import limits

# Spiff finds the line of a runtime error by looking for this file name in the traceback.
_FILENAME = "<string>"

_DENIED_ATTRIBUTES = frozenset({
    # str.format and format_map follow "{0.__class__.__mro__}" paths inside the format string.
    "format", "format_map",
    # Frames, code and tracebacks of generators, coroutines and exceptions lead to real globals.
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next",
    "func_globals", "func_code",
    # type.mro() hands out `object`, the usual first step towards __subclasses__.
    "mro",
})

# Identifiers that a node introduces or reads, by node type.
_IDENTIFIER_FIELDS = {
    ast.Name: "id", ast.arg: "arg", ast.keyword: "arg", ast.FunctionDef: "name", ast.ExceptHandler: "name",
    ast.MatchAs: "name", ast.MatchStar: "name", ast.MatchMapping: "rest",
}

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# Modules that C code imports through the *calling script's* __import__: date.today(),
# timetuple() and strftime() import `time`, datetime.strptime() imports `_strptime`.
# The others are harmless and listed so a Python version that imports them from C still works.
_IMPORTABLE = frozenset({"time", "_strptime", "datetime", "decimal", "math"})


class SandboxViolation(SyntaxError):
    """Source the sandbox refuses to run.

    A SyntaxError, so that Spiff records its line on the WorkflowTaskException
    as it does for real syntax errors and deploy-time checks can catch both at once.
    """

    def __init__(self, message: str, lineno: int, offset: int | None = None, text: str | None = None):
        super().__init__(f"line {lineno}: {message}", (_FILENAME, lineno, offset, text))
        self.message = message

    def __str__(self):
        return self.msg

    def __reduce__(self):
        # Without this, pickle and copy would call __init__ with SyntaxError's (msg, details) arguments.
        return type(self), (self.message, self.lineno, self.offset, self.text)


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name in _IMPORTABLE:
        return builtins.__import__(name, globals, locals, fromlist, level)
    raise ImportError(f"scripts may not import modules (tried to import {name!r})")


SAFE_BUILTINS = {
    **{name: getattr(builtins, name) for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "frozenset", "int",
        "isinstance", "len", "list", "map", "max", "min", "next", "pow", "range", "repr", "reversed", "round",
        "set", "sorted", "str", "sum", "tuple", "zip",
        "Exception", "ArithmeticError", "AssertionError", "AttributeError", "IndexError", "KeyError",
        "LookupError", "NameError", "TypeError", "ValueError", "ZeroDivisionError",
    )},
    "__import__": _guarded_import,
    "range": limits.limited_range,
}


class _HandsOutPlain(type):
    """isinstance(x, datetime) in a script must hold for the plain values the sandbox classes create."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__mro__[1])


class ScriptDatetime(_datetime, metaclass=_HandsOutPlain):
    """`datetime` in scripts: now(), today() and utcnow() read the engine clock.

    Naive results are China time, as SpiffWorkflow's timers read naive dates.
    Constructors return plain datetimes, because task data holding a subclass
    would not serialize (Spiff's registry looks converters up by exact class).
    """

    def __new__(cls, *args, **kwargs):
        return _datetime(*args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone(clock.CHINA).replace(tzinfo=None)

    @classmethod
    def today(cls):
        return cls.now()

    @classmethod
    def utcnow(cls):
        return clock.now().replace(tzinfo=None)


class ScriptDate(_date, metaclass=_HandsOutPlain):
    """`date` in scripts: today() is today in China by the engine clock; constructors return plain dates."""

    def __new__(cls, *args, **kwargs):
        return _date(*args, **kwargs)

    @classmethod
    def today(cls):
        return clock.today_in_china()


DEFAULT_FUNCTIONS = {
    "datetime": ScriptDatetime,
    "date": ScriptDate,
    "timedelta": timedelta,
    "timezone": timezone,
    "Decimal": Decimal,
    "now": clock.now,
}


def _attribute_violation(attr: str) -> str | None:
    if attr.startswith("_"):
        return f"attribute names starting with '_' are not allowed ({attr})"
    if attr in _DENIED_ATTRIBUTES:
        return f"attribute '{attr}' is not allowed (it reaches interpreter internals)"
    return None


def _violations(tree):
    """(node, message) for every construct the sandbox refuses."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, "imports are not allowed"
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            yield node, "'global' and 'nonlocal' are not allowed"
        elif isinstance(node, ast.ClassDef):
            yield node, "class definitions are not allowed"
        elif isinstance(node, (ast.Yield, ast.YieldFrom)):
            yield node, "'yield' is not allowed"
        elif isinstance(node, (ast.AsyncFunctionDef, ast.AsyncFor, ast.AsyncWith, ast.Await)):
            yield node, "async code is not allowed"
        elif isinstance(node, ast.Attribute):
            message = _attribute_violation(node.attr)
            if message:
                yield node, message
        elif isinstance(node, ast.MatchClass):
            # `case str(format=f)` is getattr(subject, "format") in disguise.
            for attr in node.kwd_attrs:
                message = _attribute_violation(attr)
                if message:
                    yield node, message
        field = _IDENTIFIER_FIELDS.get(type(node))
        name = field and getattr(node, field)
        if name and name.startswith("__"):
            yield node, f"names starting with '__' are not allowed ({name})"


def _module_bindings(node, in_comprehension=False):
    """(name, node) for every name the code binds at module level, which for a script means task data."""
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        # Only decorators and defaults run in the enclosing scope; the body is local.
        outer = [*getattr(node, "decorator_list", ()), *node.args.defaults, *filter(None, node.args.kw_defaults)]
        for expr in outer:
            yield from _module_bindings(expr, in_comprehension)
        return
    if isinstance(node, ast.NamedExpr):
        # A walrus binds in the enclosing scope even from inside a comprehension.
        yield node.target.id, node
    elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and not in_comprehension:
        yield node.id, node
    elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping)):
        name = getattr(node, "rest" if isinstance(node, ast.MatchMapping) else "name")
        if name:
            yield name, node
    in_comprehension = in_comprehension or isinstance(node, _COMPREHENSIONS)
    for child in ast.iter_child_nodes(node):
        yield from _module_bindings(child, in_comprehension)


def _first(found, source):
    """The violation that comes first in the source, innermost first, as an exception."""
    if not found:
        return None
    node, message = min(found, key=lambda f: (f[0].lineno, f[0].col_offset, f[0].end_lineno, f[0].end_col_offset))
    # Split where Python counts lines; str.splitlines() also splits at \f, \x1c, \u2028 and others.
    text = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")[node.lineno - 1]
    return SandboxViolation(message, node.lineno, node.col_offset + 1, text)


class _Compiled(NamedTuple):
    code: CodeType
    names: frozenset  # every identifier read or written, to spot ambiguous names in expressions
    bindings: list  # [(name, node)] bound at module level


@functools.lru_cache(maxsize=1024)
def _compile(source: str, mode: str) -> _Compiled:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if mode == "eval":
        # eval() of a string forgives leading spaces and tabs, and Spiff's own environment relies on it.
        source = source.lstrip(" \t")
    tree = ast.parse(source, _FILENAME, mode)
    violation = _first(list(_violations(tree)), source)
    if violation:
        raise violation
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    bindings = list(_module_bindings(tree))
    # dont_inherit: this module's __future__ flags must not change how scripts compile.
    code = compile(limits.rewrite(tree), _FILENAME, mode, dont_inherit=True)
    return _Compiled(code, names, bindings)


def _check_bindings(compiled: _Compiled, reserved, source: str) -> None:
    violation = _first(
        [(node, f"'{name}' is the name of a sandbox function; choose another variable name")
         for name, node in compiled.bindings if name in reserved],
        source,
    )
    if violation:
        raise violation


def check(source: str, mode: str, reserved=()) -> None:
    """Validate an expression (mode 'eval') or a script (mode 'exec') without running it.

    Raises SyntaxError, or its subclass SandboxViolation, carrying the line number.
    `reserved` are function names the script may not assign to (SandboxEnvironment.globals).
    """
    _check_bindings(_compile(source, mode), frozenset(reserved), source)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff's TaskDataEnvironment contract, sandboxed and atomic.

    `functions` (callables or plain values) are available by name next to
    DEFAULT_FUNCTIONS, which they may override; none of them is ever written to task data.
    """

    def __init__(self, functions: dict):
        modules = sorted(name for name, value in functions.items() if isinstance(value, ModuleType))
        if modules:
            # A module's attributes lead to the modules it imported (json.codecs.sys.modules["os"]).
            raise TypeError(f"pass functions, not modules, to the sandbox: {', '.join(modules)}")
        super().__init__({**DEFAULT_FUNCTIONS, **functions})

    def evaluate(self, expression, context, external_context=None):
        compiled = _compile(expression, "eval")
        external_context = external_context or {}
        ambiguous = compiled.names & self.globals.keys() & (context.keys() | external_context.keys())
        if ambiguous:
            raise ValueError(self._shadowing_message(ambiguous))
        scope = {"__builtins__": SAFE_BUILTINS, **limits.Budget().names(), **self.globals, **external_context,
                 **context}
        return eval(compiled.code, scope)

    def execute(self, script, context, external_context=None):
        compiled = _compile(script, "exec")
        external_context = external_context or {}
        reserved = self.globals.keys() | external_context.keys()
        _check_bindings(compiled, reserved, script)
        shadowed = reserved & context.keys()
        if shadowed:
            # Spiff would silently drop these from task data after the script.
            raise ValueError(self._shadowing_message(shadowed))
        # A deep copy, so a failing script leaves task data untouched, lists and dicts included.
        scope = {"__builtins__": SAFE_BUILTINS, **limits.Budget().names(), **self.globals, **external_context,
                 **copy.deepcopy(context)}
        exec(compiled.code, scope)
        # Scripts cannot name anything starting with '__', so such names in the scope are the
        # interpreter's (__builtins__, __doc__, __annotations__) and task data keeps its own.
        result = {
            name: value for name, value in scope.items()
            if not name.startswith("__") and name not in reserved
            and not callable(value) and not isinstance(value, ModuleType)
        }
        for name in [name for name in context if not name.startswith("__") and name not in result]:
            del context[name]
        context.update(result)
        return True

    @staticmethod
    def _shadowing_message(names):
        return (f"task data uses the name of a sandbox function: {', '.join(sorted(names))}; "
                f"rename the variable or field")
