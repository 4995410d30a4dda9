"""The small part of FEEL that form conditions use, evaluated on the server.

form-js evaluates `conditional.hide`, `readonly` and some `validate` bounds in
the browser with feelin. The server must reach the same verdict on whatever
the browser sent, so it evaluates the same expressions, restricted to:

    literals     1  2.5  "text"  true  false  null
    names        amount  applicant.name  this.category   (missing -> null)
    arithmetic   + - * /  and unary minus
    comparison   =  !=  <  <=  >  >=   (not chained)
    logic        and  or  not(...)   and parentheses

Anything else (other functions, `in`, `if`, lists, ranges...) is a
FeelSyntaxError, so a form that relies on it is refused at deployment rather
than judged differently here than in the browser.

The semantics are feelin's, as the server must agree with the browser: a
missing name, or a property of something that is not an object, is null;
arithmetic on the wrong types is null; `and`/`or` are three-valued; `=` between
different types is null and `!=` its negation, null counting as false; `<` and
the like between different types fall to JavaScript's coercion ("3" < 5 holds).
Numbers are exact decimals, as FEEL specifies (feelin's binary floats differ
only on sums like 0.1 + 0.2).
"""
import math
import operator
import re
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

__all__ = ["FeelSyntaxError", "parse", "evaluate", "unary_test"]


class FeelSyntaxError(ValueError):
    """The expression is not in the FEEL subset this module understands."""

    def __init__(self, message, expression, position):
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at position {position + 1} of {expression!r}")


class _EvalError(Exception):
    """Where feelin throws; form-js then treats the condition as not met."""


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d]\w*)
  | (?P<op><=|>=|!=|[=<>+\-*/().,\[\]{}:?])
""", re.VERBOSE)

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}
_UNSUPPORTED_WORDS = {"if", "then", "else", "for", "return", "some", "every", "satisfies",
                      "in", "between", "instance", "of", "function"}
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FeelSyntaxError(f"unexpected character {text[pos]!r}", text, pos)
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


def _unquote(literal, text, pos):
    out, i = [], 1
    while i < len(literal) - 1:
        char = literal[i]
        if char == "\\":
            escaped = literal[i + 1]
            if escaped not in _ESCAPES:
                raise FeelSyntaxError(f"unsupported escape \\{escaped}", text, pos + i)
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


class _Parser:
    """Recursive descent, loosest binding first: or, and, comparison, + -, * /, unary -, path."""

    def __init__(self, text):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self):
        return self.tokens[self.index]

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message, token=None):
        raise FeelSyntaxError(message, self.text, (token or self.peek())[2])

    def expect(self, value):
        token = self.take()
        if token[:2] != ("op", value):
            self.fail(f"expected {value!r}", token)

    def parse(self):
        if self.peek()[0] == "end":
            self.fail("empty expression")
        tree = self.disjunction()
        kind, value, _ = self.peek()
        if kind == "name" and value in _UNSUPPORTED_WORDS:
            self.fail(f"'{value}' is not supported")
        if kind != "end":
            self.fail(f"unexpected {value!r}")
        return tree

    def is_word(self, word):
        kind, value, _ = self.peek()
        return kind == "name" and value == word

    def disjunction(self):
        tree = self.conjunction()
        while self.is_word("or"):
            self.take()
            tree = ("or", tree, self.conjunction())
        return tree

    def conjunction(self):
        tree = self.comparison()
        while self.is_word("and"):
            self.take()
            tree = ("and", tree, self.comparison())
        return tree

    def comparison(self):
        tree = self.additive()
        kind, value, _ = self.peek()
        if kind == "op" and value in _COMPARISONS:
            self.take()
            tree = ("compare", value, tree, self.additive())
            kind, value, _ = self.peek()
            if kind == "op" and value in _COMPARISONS:
                self.fail("comparisons cannot be chained; join them with 'and'")
        return tree

    def additive(self):
        tree = self.multiplicative()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            tree = ("arith", self.take()[1], tree, self.multiplicative())
        return tree

    def multiplicative(self):
        tree = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in "*/":
            tree = ("arith", self.take()[1], tree, self.unary())
        return tree

    def unary(self):
        if self.peek()[:2] == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.path()

    def path(self):
        tree = self.primary()
        while self.peek()[:2] == ("op", "."):
            self.take()
            kind, value, _ = token = self.take()
            if kind != "name":
                self.fail("expected a name after '.'", token)
            tree = ("path", tree, value)
        return tree

    def primary(self):
        token = self.take()
        kind, value, _ = token
        if kind == "number":
            return ("literal", Decimal(value))
        if kind == "string":
            return ("literal", _unquote(value, self.text, token[2]))
        if kind == "op" and value == "(":
            tree = self.disjunction()
            self.expect(")")
            return tree
        if kind != "name":
            self.fail(f"unexpected {value!r}" if value else "unexpected end of expression", token)
        if value in ("true", "false", "null"):
            return ("literal", {"true": True, "false": False, "null": None}[value])
        if value == "not":
            self.expect("(")
            tree = self.disjunction()
            self.expect(")")
            return ("not", tree)
        if value in ("and", "or") or value in _UNSUPPORTED_WORDS:
            self.fail(f"'{value}' is not supported here", token)
        if self.peek()[:2] == ("op", "("):
            self.fail(f"function '{value}' is not supported (only not(...))", token)
        return ("name", value)


@lru_cache(maxsize=1024)
def parse(expression: str) -> tuple:
    """Parse FEEL text (without form-js's leading '='); raises FeelSyntaxError."""
    return _Parser(expression).parse()


def evaluate(expression: str, context: dict):
    """Value of the expression over `context` (null where feelin would fail)."""
    try:
        return _eval(parse(expression), context)
    except _EvalError:
        return None


def unary_test(expression: str, context: dict) -> bool:
    """The expression as form-js checks a condition: feelin's unaryTest with no input value.

    A boolean result is the verdict; any other result is compared with the
    (null) input, so an expression that evaluates to null counts as true:
    `=amount > 5` hides its field while amount is empty, in the browser and here.
    A whole expression `not(...)` is the negated test, not the function:
    `not(flag)` is false while flag is empty.
    """
    tree = parse(expression)
    negated = tree[0] == "not" and expression.lstrip().startswith("not")  # `(not(x))` is the function
    try:
        result = _eval(tree[1] if negated else tree, context)
    except _EvalError:
        return False
    if isinstance(result, bool):
        verdict = result
    elif isinstance(result, list):
        verdict = None in result
    else:
        verdict = result is None
    return not verdict if negated else verdict


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)) \
            or (isinstance(value, Decimal) and value.is_finite()):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, (list, tuple)):
        return "list"
    return "other"


def _plain(value):
    """Data as the browser sees it: numbers exact, dates as their ISO text (that is how JSON carries them)."""
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if _kind(value) == "number" and not isinstance(value, Decimal):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return value


def _eval(tree, context):
    op = tree[0]
    if op == "literal":
        return tree[1]
    if op == "name":
        return _plain(context.get(tree[1]))
    if op == "path":
        target = _eval(tree[1], context)
        if isinstance(target, (list, tuple)):
            return [_plain(item.get(tree[2])) if isinstance(item, dict) else None for item in target]
        return _plain(target.get(tree[2])) if isinstance(target, dict) else None
    if op == "not":
        value = _eval(tree[1], context)
        return not value if isinstance(value, bool) else None
    if op == "neg":
        value = _eval(tree[1], context)
        return -value if _kind(value) == "number" else None
    if op in ("and", "or"):
        left, right = (_eval(side, context) for side in tree[1:])
        left = left if isinstance(left, bool) else None
        right = right if isinstance(right, bool) else None
        decisive = op == "or"  # true decides `or`, false decides `and`
        if decisive in (left, right):
            return decisive
        return None if None in (left, right) else not decisive
    if op == "arith":
        return _arith(tree[1], _eval(tree[2], context), _eval(tree[3], context))
    return _compare(tree[1], _eval(tree[2], context), _eval(tree[3], context))


def _arith(op, left, right):
    kinds = (_kind(left), _kind(right))
    if op == "+" and kinds == ("string", "string"):
        return left + right
    if kinds != ("number", "number"):
        return None
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        return left / right
    except ArithmeticError:  # division by zero, or absurd magnitudes
        return None


def _compare(op, left, right):
    if op == "=":
        return _equals(left, right)
    if op == "!=":
        return not _equals(left, right)
    # feelin builds a range from the right side; it throws on other types.
    if _kind(right) not in ("null", "number", "string"):
        raise _EvalError
    if left is None or right is None:
        return None
    if _kind(left) != _kind(right):
        return _js_relational(op, left, right)
    return _ORDER[op](left, right)


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_JS_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _js_relational(op, left, right):
    """Mixed types: feelin leaves them to JavaScript's coercion (e.g. "3" < 5 holds)."""
    left, right = _js_primitive(left), _js_primitive(right)
    if not (isinstance(left, str) and isinstance(right, str)):
        left, right = _js_number(left), _js_number(right)
        if left is None or right is None:  # NaN compares false
            return False
    return _ORDER[op](left, right)


def _js_primitive(value):
    if isinstance(value, (list, tuple)):
        return ",".join(_js_text(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return value


def _js_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _kind(value) == "number":
        return format(_plain(value).normalize(), "f")
    return value if isinstance(value, str) else _js_primitive(value)


def _js_number(value):
    """JavaScript's Number(value); None for NaN."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if _kind(value) == "number":
        return value
    text = value.strip() if isinstance(value, str) else None
    if text == "":
        return Decimal(0)
    return Decimal(text) if text is not None and _JS_NUMERIC.fullmatch(text) else None


def _equals(left, right):
    if (left is None) != (right is None):
        return False
    # feelin compares a list of at most one item as that item.
    if isinstance(left, (list, tuple)) and len(left) < 2:
        left = left[0] if left else None
    if isinstance(right, (list, tuple)) and len(right) < 2:
        right = right[0] if right else None
    kind = _kind(left)
    if kind != _kind(right) or kind == "other":
        return None
    if kind == "list":
        return len(left) == len(right) and all(_equals(_plain(a), _plain(b)) is True for a, b in zip(left, right))
    if kind == "context":
        return left.keys() == right.keys() and all(_equals(_plain(left[k]), _plain(right[k])) is True for k in left)
    return left == right
