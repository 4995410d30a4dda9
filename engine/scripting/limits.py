"""Time, memory and size limits on code from diagrams, enforced inside the evaluation itself.

A script or expression is rewritten before it is compiled (after the sandbox's static check, so
the names added here, which start with '__', cannot be reached by the code itself):

- every loop turn, comprehension item and function call ticks a budget: past the time limit, the
  step limit, or the memory limit (the growth of the process's resident memory during the
  evaluation, read every thousand ticks) the evaluation stops with ScriptLimitExceeded;
- the operators and methods that can build a huge value in one C call (`*`, `**`, `<<`, `%`
  formatting, str.replace, ljust, rjust, center, zfill, expandtabs, join, a format width) first
  check the size of what they would build; so does `range`.

The limits hold wherever the code runs (a web request, a worker, the dispatcher thread, the
simulator, the command line), without a process per evaluation. A hard backstop for anything
missed is the worker's job time limit (settings CELERY_TASK_TIME_LIMIT).
"""
import ast
import operator
import os
import time

from django.conf import settings


class ScriptLimitExceeded(RuntimeError):
    """Code from a diagram went past a limit; the message says which."""


_BINARY = {ast.Mult: ("*", operator.mul), ast.Pow: ("**", operator.pow), ast.LShift: ("<<", operator.lshift),
           ast.Mod: ("%", operator.mod)}
_AMPLIFIERS = frozenset({"replace", "ljust", "rjust", "center", "zfill", "expandtabs", "join"})
_SEQUENCES = (str, bytes, list, tuple)


def _resident_bytes():
    """The process's resident memory, or None where /proc does not say (then memory is not limited)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def limited_range(*args):
    """`range` for diagrams: no longer than the size limit."""
    found = range(*args)
    limit = settings.ENGINE["SCRIPT_MAX_ITEMS"]
    if len(found) > limit:
        raise ScriptLimitExceeded(f"would build a range of {len(found):,} items, more than the limit of {limit:,}")
    return found


class Budget:
    """What one evaluation may still spend; its methods are the names the rewritten code calls."""

    def __init__(self):
        engine = settings.ENGINE
        self.seconds, self.steps = engine["SCRIPT_SECONDS"], engine["SCRIPT_STEPS"]
        self.max_items, self.memory = engine["SCRIPT_MAX_ITEMS"], engine["SCRIPT_MEMORY_MB"] * 2 ** 20
        self.deadline = time.monotonic() + self.seconds
        self.left = self.steps
        self.resident = None  # read at the first check, so an evaluation without loops reads nothing

    def names(self):
        return {"__tick__": self.tick, "__loop__": self.loop, "__op__": self.op, "__bound__": self.bound,
                "__fmt__": self.fmt}

    def tick(self):
        self.left -= 1
        if self.left < 0:
            raise ScriptLimitExceeded(f"went round its loops or calls more than {self.steps:,} times")
        if self.left % 1000:
            return
        if time.monotonic() > self.deadline:
            raise ScriptLimitExceeded(f"ran longer than its time limit of {self.seconds:g} s")
        resident = _resident_bytes()
        if resident is None:
            return
        if self.resident is None:
            self.resident = resident
        elif resident - self.resident > self.memory:
            raise ScriptLimitExceeded(f"used more than its memory limit of {self.memory // 2 ** 20} MB")

    def loop(self, iterable):
        for item in iterable:
            self.tick()
            yield item

    def _items(self, n, what, unit="items"):
        if n > self.max_items:
            raise ScriptLimitExceeded(f"would build {what} of {n:,} {unit}, more than the limit of {self.max_items:,}")

    def op(self, symbol, left, right):
        if symbol == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, _SEQUENCES) and isinstance(count, int):
                    self._items(len(sequence) * max(count, 0), "a sequence")
            if isinstance(left, int) and isinstance(right, int):
                self._items((left.bit_length() + right.bit_length()) // 3, "a number", "digits")
        elif symbol == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            self._items(left.bit_length() * right // 3, "a number", "digits")
        elif symbol == "<<" and isinstance(left, int) and isinstance(right, int):
            self._items((left.bit_length() + max(right, 0)) // 3, "a number", "digits")
        elif symbol == "%" and isinstance(left, (str, bytes)):
            widths = [int(digits) for digits in _digits(left if isinstance(left, str) else left.decode("latin-1"))]
            if widths:
                self._items(max(widths), "a formatted text", "characters")
        return _BINARY_BY_SYMBOL[symbol](left, right)

    def bound(self, owner, name):
        """`owner.name` for a method that can build a huge text: a stand-in that checks first."""
        method = getattr(owner, name)
        if isinstance(owner, type):  # str.replace(text, ...): the text comes first
            return lambda target, *args, **kwargs: self.method(target, name, *args, **kwargs) \
                if isinstance(target, owner) else method(target, *args, **kwargs)
        return lambda *args, **kwargs: self.method(owner, name, *args, **kwargs)

    def method(self, target, name, *args, **kwargs):
        if isinstance(target, (str, bytes)):
            if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
                self._items(args[0], "a text", "characters")
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(size, int):
                    self._items(len(target) * max(size, 1), "a text", "characters")
            elif name == "replace" and len(args) >= 2 and isinstance(args[0], type(target)):
                old, new = args[0], args[1]
                if len(new) > len(old):
                    times = (len(target) + 1) if not old else target.count(old)
                    self._items(len(target) + times * (len(new) - len(old)), "a text", "characters")
            elif name == "join":
                parts = list(self.loop(args[0])) if args else []
                self._items(sum(len(p) for p in parts if isinstance(p, (str, bytes))) + len(target) * len(parts),
                            "a text", "characters")
                return target.join(parts)
        return getattr(target, name)(*args, **kwargs)

    def fmt(self, value, conversion, spec):
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        widths = [int(digits) for digits in _digits(spec)]
        if widths:
            self._items(max(widths), "a formatted text", "characters")
        return format(value, spec)


_BINARY_BY_SYMBOL = {symbol: function for symbol, function in _BINARY.values()}


def _digits(spec):
    number = ""
    for char in spec:
        if char.isdigit():
            number += char
        elif number:
            yield number
            number = ""
    if number:
        yield number


def _call(name, *args):
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _tick():
    return ast.Expr(value=_call("__tick__"))


class _Rewriter(ast.NodeTransformer):
    """The rewriting the module docstring describes."""

    def visit_For(self, node):
        self.generic_visit(node)
        node.body.insert(0, _tick())
        return node

    visit_While = visit_For

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        node.body.insert(0, _tick())
        return node

    def visit_Lambda(self, node):
        self.generic_visit(node)
        node.body = ast.Subscript(value=ast.Tuple(elts=[_call("__tick__"), node.body], ctx=ast.Load()),
                                  slice=ast.Constant(1), ctx=ast.Load())
        return node

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.iter = _call("__loop__", node.iter)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if type(node.op) in _BINARY:
            return _call("__op__", ast.Constant(_BINARY[type(node.op)][0]), node.left, node.right)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if type(node.op) not in _BINARY:
            return node
        read = ast.fix_missing_locations(ast.copy_location(_as_load(node.target), node.target))
        return ast.Assign(targets=[node.target], value=_call("__op__", ast.Constant(_BINARY[type(node.op)][0]),
                                                             read, node.value))

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in _AMPLIFIERS and isinstance(node.ctx, ast.Load):
            return _call("__bound__", node.value, ast.Constant(node.attr))
        return node

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        if node.format_spec is None:
            return node
        node.value = _call("__fmt__", node.value, ast.Constant(node.conversion), node.format_spec)
        node.conversion, node.format_spec = -1, None
        return node


def _as_load(target):
    """A copy of an assignment target that reads it (for `x *= n`, rewritten as `x = x * n`)."""
    copied = ast.parse(ast.unparse(target), mode="eval").body
    return copied


def rewrite(tree):
    """The tree with its limits built in (see the module docstring)."""
    return ast.fix_missing_locations(_Rewriter().visit(tree))
