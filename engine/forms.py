"""form-js form schemas on the server: checked at deployment, enforced when a task is completed.

User tasks show forms drawn with bpmn.io's form-js (1.23, schemaVersion 19) and
rendered by it in the browser. The browser's checks only help the user; the
server repeats them on whatever arrives, with the same conditions (evaluated by
engine.feel), and keeps only what the form defines.

What cleaned_data holds per component type:

    textfield, textarea   str, exactly as typed
    number                int when decimalDigits is 0; Decimal with exactly decimalDigits
                          places otherwise ("1.2" for money -> Decimal("1.20")); without
                          decimalDigits, int if the value is whole, else the Decimal entered.
                          Never float: task data keeps Decimal exactly (bpmn/serializer.py),
                          and scripts compare and add it with ints as numbers.
    checkbox              bool
    select, radio         the chosen option's value, or None
    checklist, taglist    list of option values
    datetime              ISO text as form-js writes it: "2025-03-01", "09:30",
                          "2025-03-01T09:30+08:00"
    filepicker            list of attachment references: ids (UUID text), or dicts with id and
                          name (and optionally size, type); with `attachments` given, each id
                          must name an attachment uploaded for the task or its instance
    dynamiclist           list of row dicts; a group nests its fields under its path, or
                          leaves them flat without one. `validate.required` on a dynamic
                          list (not a form-js rule; the browser ignores it) asks for a row.

A visible field the submission lacks gets form-js's empty value ("", None, False, []).
Left out of cleaned_data: fields hidden by their condition, readonly and disabled
fields and lists whose rows hold only such fields (the browser cannot change them,
so they are not validated either and the caller keeps the task's value), expression fields (computed by the browser), and
every key the form does not define.

Conditions (`conditional.hide`, a `readonly` expression, `validate` bounds given
as expressions, a filepicker's `multiple`) are read as form-js reads them: over
the task's data overlaid with the submitted values, without the values of hidden
fields, and with `this`, `parent` and `i` inside list rows.
"""
import copy
import keyword
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from . import clock, feel
from .errors import Problem

__all__ = ["check_schema", "validate_submission"]

# The component types of form-js 1.23's viewer (its `formFields`).
_INPUTS = {"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist",
           "datetime", "filepicker"}
_KEYED = _INPUTS | {"expression"}
_CONTAINERS = {"group", "dynamiclist"}
_DISPLAY = {"text", "html", "image", "spacer", "separator", "iframe", "button", "table", "documentPreview"}
_TYPES = _KEYED | _CONTAINERS | _DISPLAY
_OPTION_TYPES = {"select", "radio", "checklist", "taglist"}

_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RESERVED = {
    "typename": "SpiffWorkflow would read a dict holding 'typename' as one of its serialized objects",
    "prototype": "form-js refuses it",
    "constructor": "form-js refuses it",
}
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
_DATETIME_FORMATS = {
    "date": (re.compile(_DATE), date.fromisoformat),
    "time": (re.compile(_TIME), time.fromisoformat),
    "datetime": (re.compile(f"{_DATE}T{_TIME}"), datetime.fromisoformat),
}
_FILE_KEYS = {"id": str, "name": str, "size": int, "type": str}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # an attachment id as text

# form-js's own patterns (form-js-viewer Validator), in JavaScript syntax.
_EMAIL = (r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
          r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
_PHONE = (
    r"(\+|00)(297|93|244|1264|358|355|376|971|54|374|1684|1268|61|43|994|257|32|229|226|880|359|973|1242|387|590"
    r"|375|501|1441|591|55|1246|673|975|267|236|1|61|41|56|86|225|237|243|242|682|57|269|238|506|53|5999|61|1345"
    r"|357|420|49|253|1767|45|1809|1829|1849|213|593|20|291|212|34|372|251|358|679|500|33|298|691|241|44|995|44"
    r"|233|350|224|590|220|245|240|30|1473|299|502|594|1671|592|852|504|385|509|36|62|44|91|246|353|98|964|354"
    r"|972|39|1876|44|962|81|76|77|254|996|855|686|1869|82|383|965|856|961|231|218|1758|423|94|266|370|352|371"
    r"|853|590|212|377|373|261|960|52|692|389|223|356|95|382|976|1670|258|222|1664|596|230|265|60|262|264|687"
    r"|227|672|234|505|683|31|47|977|674|64|968|92|507|64|51|63|680|675|48|1787|1939|850|351|595|970|689|974"
    r"|262|40|7|250|966|249|221|65|500|4779|677|232|503|378|252|508|381|211|239|597|421|386|46|268|1721|248|963"
    r"|1649|235|228|66|992|690|993|670|676|1868|216|90|688|886|255|256|380|598|1|998|3906698|379|1784|58|1284"
    r"|1340|84|678|681|685|967|27|260|263)(9[976]\d|8[987530]\d|6[987]\d|5[90]\d|42\d|3[875]\d|2[98654321]\d"
    r"|9[8543210]|8[6421]|6[6543210]|5[87654321]|4[987654310]|3[9643210]|2[70]|7|1)\d{4,20}$"
)

_MESSAGES = {
    "zh": {
        "required": "「{label}」为必填项",
        "text": "「{label}」必须是文本",
        "min_length": "「{label}」至少需要 {limit} 个字符",
        "max_length": "「{label}」最多 {limit} 个字符",
        "pattern": "「{label}」的格式不正确",
        "email": "「{label}」必须是有效的电子邮箱地址",
        "phone": "「{label}」必须是有效的国际电话号码，例如 +8613800000000",
        "number": "「{label}」必须是数字",
        "too_large": "「{label}」的数值过大",
        "integer": "「{label}」必须是整数",
        "decimals": "「{label}」最多{digits}位小数",
        "min": "「{label}」不能小于 {limit}",
        "max": "「{label}」不能大于 {limit}",
        "increment": "「{label}」必须是 {step} 的整数倍",
        "bad_rule": "「{label}」的校验规则无法计算，请联系管理员",
        "boolean": "「{label}」只能是“是”或“否”",
        "option": "「{label}」的选项无效",
        "options": "「{label}」包含无效的选项",
        "date": "「{label}」必须是有效的日期（YYYY-MM-DD）",
        "time": "「{label}」必须是有效的时间（HH:MM）",
        "datetime": "「{label}」必须是有效的日期时间（YYYY-MM-DDTHH:MM）",
        "past_date": "「{label}」不能早于今天",
        "files": "「{label}」必须是已上传的附件",
        "one_file": "「{label}」只能上传一个文件",
        "unknown_file": "「{label}」中有附件不存在，或不是为本任务上传的",
        "rows": "「{label}」必须是列表",
        "row": "「{label}」第 {n} 行的数据无效",
        "no_rows": "「{label}」至少需要填写一行",
    },
    "en": {
        "required": "\"{label}\" is required",
        "text": "\"{label}\" must be text",
        "min_length": "\"{label}\" must have at least {limit} characters",
        "max_length": "\"{label}\" must have at most {limit} characters",
        "pattern": "\"{label}\" is not in the expected format",
        "email": "\"{label}\" must be a valid email address",
        "phone": "\"{label}\" must be a valid international phone number, e.g. +8613800000000",
        "number": "\"{label}\" must be a number",
        "too_large": "\"{label}\" is too large",
        "integer": "\"{label}\" must be a whole number",
        "decimals": "\"{label}\" may have at most {digits} decimal places",
        "min": "\"{label}\" must be at least {limit}",
        "max": "\"{label}\" must be at most {limit}",
        "increment": "\"{label}\" must be a multiple of {step}",
        "bad_rule": "\"{label}\" has a validation rule that cannot be computed; please contact the administrator",
        "boolean": "\"{label}\" must be yes or no",
        "option": "\"{label}\" is not one of the options",
        "options": "\"{label}\" contains a value that is not one of the options",
        "date": "\"{label}\" must be a valid date (YYYY-MM-DD)",
        "time": "\"{label}\" must be a valid time (HH:MM)",
        "datetime": "\"{label}\" must be a valid date and time (YYYY-MM-DDTHH:MM)",
        "past_date": "\"{label}\" cannot be in the past",
        "files": "\"{label}\" must be uploaded attachments",
        "one_file": "\"{label}\" accepts a single file",
        "unknown_file": "\"{label}\" names an attachment that does not exist or was not uploaded for this task",
        "rows": "\"{label}\" must be a list",
        "row": "\"{label}\" row {n} is not valid",
        "no_rows": "\"{label}\" needs at least one row",
    },
}
_ZH_COUNTS = "零一两三四五六七八九十"


# --- checking a schema at deployment ---------------------------------------------------------

def check_schema(schema: dict, file_name: str) -> list:
    """Every reason form-js or this engine could not use the form, as Problems (empty when usable)."""
    problems = []
    if not isinstance(schema, dict):
        return [Problem(file_name, None, "a form must be a JSON object")]
    if schema.get("type") != "default":
        problems.append(Problem(file_name, None, 'the form\'s "type" must be "default"'))
    form_id = schema.get("id")
    if not isinstance(form_id, str) or not form_id.strip():
        problems.append(Problem(file_name, None, 'the form needs an "id": user tasks name their form by it'))
    components = schema.get("components")
    if not isinstance(components, list):
        problems.append(Problem(file_name, None, 'the form needs a "components" list'))
    else:
        _SchemaChecker(file_name, problems).components(components, (), ())
    return problems


class _Paths:
    """Binding paths claimed so far, by the rules of form-js's PathRegistry.

    A key is a closed leaf nothing may share or pass through; a group's path is an
    open node other groups may share; a dynamic list's path is entered only by its
    own children.
    """

    def __init__(self):
        self.root = {}

    def claim(self, path, ancestors, closed=False, repeater=None):
        if not self._can_claim(path, ancestors, closed or repeater is not None):
            return False
        children = self.root
        for segment in path:
            node = children.setdefault(segment, {"children": {}, "repeater": None})
            children = node["children"]
        if closed:
            node["children"] = None
        if repeater is not None:
            node["repeater"] = repeater
        return True

    def _can_claim(self, path, ancestors, exclusive):
        children = self.root
        for segment in path:
            node = children.get(segment)
            if node is None:
                return True
            if node["repeater"] is not None and node["repeater"] not in ancestors:
                return False
            if node["children"] is None:
                return False
            children = node["children"]
        return not exclusive


class _SchemaChecker:
    def __init__(self, file_name, problems):
        self.file_name = file_name
        self.problems = problems
        self.ids = set()
        self.paths = _Paths()

    def components(self, components, base, ancestors):
        for component in components:
            if isinstance(component, dict):
                self.component(component, base, ancestors)
            else:
                self.problems.append(Problem(self.file_name, None, "every component must be a JSON object"))

    def component(self, component, base, ancestors):
        kind = component.get("type")
        element = component.get("key") or component.get("id")
        name = f"{kind} '{element or component.get('label') or '?'}'"

        def say(message):
            self.problems.append(Problem(self.file_name, None, f"{name}: {message}", element))

        if not isinstance(kind, str) or kind not in _TYPES:
            say(f"unknown component type; form-js knows {', '.join(sorted(_TYPES))}")
            return
        self.check_id(component.get("id"), say)
        conditional = component.get("conditional")
        if conditional is not None:
            if not isinstance(conditional, dict):
                say('"conditional" must be an object')
            elif "hide" in conditional:
                self.expression(conditional["hide"], "conditional.hide", say, required=True)
        if kind in _KEYED:
            self.keyed(component, base, ancestors, say)
        if kind in _INPUTS:
            self.input(component, kind, say)
        elif kind in _CONTAINERS:
            self.container(component, kind, base, ancestors, say)

    def check_id(self, component_id, say):
        if component_id is None:
            return
        if not isinstance(component_id, str) or not component_id:
            say('"id" must be text')
        elif component_id in self.ids:
            say(f"id '{component_id}' is used by another component")
        else:
            self.ids.add(component_id)

    def expression(self, value, what, say, required=False):
        """Parse `value` if it is a form-js expression ('=...'); True if it was one."""
        if isinstance(value, str) and value.startswith("="):
            try:
                feel.parse(value[1:])
            except feel.FeelSyntaxError as err:
                say(f"{what} is not in the FEEL subset the server evaluates: {err}")
            return True
        if required:
            say(f"{what} must be a FEEL expression starting with '='")
        return False

    def keyed(self, component, base, ancestors, say):
        key = component.get("key")
        reason = _path_problem(key)
        if reason:
            say(f"key {reason}")
        elif not self.paths.claim(base + _split(key), ancestors, closed=True):
            say(f"key '{key}' is already bound by another field of the same scope")

    def input(self, component, kind, say):
        readonly = component.get("readonly")
        if readonly is not None and not isinstance(readonly, bool) and not self.expression(readonly, "readonly", say):
            say('"readonly" must be true, false or a FEEL expression')
        if "disabled" in component and not isinstance(component["disabled"], bool):
            say('"disabled" must be true or false')
        self.validate(component.get("validate"), say)
        if kind in _OPTION_TYPES:
            self.options(component, say)
        elif kind == "number":
            self.number(component, say)
        elif kind == "datetime" and component.get("subtype", "date") not in ("date", "time", "datetime"):
            say('"subtype" must be date, time or datetime')
        elif kind == "filepicker":
            multiple = component.get("multiple", False)
            if not isinstance(multiple, bool) and not self.expression(multiple, "multiple", say):
                say('"multiple" must be true, false or a FEEL expression')

    def validate(self, rules, say):
        if rules is None:
            return
        if not isinstance(rules, dict):
            say('"validate" must be an object')
            return
        if "required" in rules and not isinstance(rules["required"], bool):
            say("validate.required must be true or false")
        for prop in ("min", "max"):
            value = rules.get(prop)
            if value is not None and _decimal(value) is None and not self.expression(value, f"validate.{prop}", say):
                say(f"validate.{prop} must be a number or a FEEL expression")
        for prop in ("minLength", "maxLength"):
            value = rules.get(prop)
            is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if value is not None and not is_count and not self.expression(value, f"validate.{prop}", say):
                say(f"validate.{prop} must be a whole number of characters or a FEEL expression")
        pattern = rules.get("pattern")
        if pattern is not None:
            try:
                _js_regex(pattern)
            except (re.error, TypeError) as err:
                say(f"validate.pattern is not a regular expression the server can run: {err}")
        if rules.get("validationType") not in ("email", "phone", "custom", "", None):
            say("validate.validationType must be email, phone or custom")

    def options(self, component, say):
        sources = [source for source in ("values", "valuesKey", "valuesExpression") if source in component]
        if not sources:
            say('has no options: give "values" (or "valuesKey" / "valuesExpression")')
        elif len(sources) > 1:
            say(f"takes its options from one source, not {' and '.join(sources)}")
        elif sources == ["values"]:
            self.static_options(component["values"], say)
        elif sources == ["valuesKey"]:
            if not isinstance(component["valuesKey"], str) or not re.fullmatch(r"\S+", component["valuesKey"]):
                say('"valuesKey" must name a variable')
        # Evaluated by the browser only, so any FEEL is fine; the submitted choice is then not checked.
        elif not (isinstance(component["valuesExpression"], str) and component["valuesExpression"].startswith("=")):
            say('"valuesExpression" must be a FEEL expression starting with \'=\'')

    def static_options(self, values, say):
        if not isinstance(values, list) or not values:
            say('"values" must be a non-empty list of {"label", "value"} options')
            return
        seen = []
        for option in values:
            label, value = (option.get("label"), option.get("value")) if isinstance(option, dict) else (None, None)
            if not isinstance(label, str) or not isinstance(value, (str, int, float)):
                say(f'option {option!r} must be {{"label": text, "value": text or number}}')
            elif any(_same(value, other) for other in seen):
                say(f"option value {value!r} appears twice")
            else:
                seen.append(value)

    def number(self, component, say):
        digits = component.get("decimalDigits")
        if digits is not None and (not isinstance(digits, int) or isinstance(digits, bool) or digits < 0):
            say('"decimalDigits" must be a whole number, 0 or more')
        increment = component.get("increment")
        if increment is not None:
            step = _decimal(increment)
            if step is None or step <= 0:
                say('"increment" must be a number greater than 0')

    def container(self, component, kind, base, ancestors, say):
        path = component.get("path")
        repeating = kind == "dynamiclist"
        if path in (None, "") and repeating:  # form-js would make up a random one
            say('a dynamic list needs a "path" for its data')
            return
        if path not in (None, ""):
            reason = _path_problem(path)
            if reason:
                say(f"path {reason}")
                return
            # form-js claims a dynamic list's path as a repeater whether or not it repeats.
            if not self.paths.claim(base + _split(path), ancestors, repeater=id(component) if repeating else None):
                say(f"path '{path}' collides with another field's key or list")
                return
        if repeating:  # validate.required: at least one row (checked on the server only)
            self.validate(component.get("validate"), say)
        children = component.get("components", [])
        if not isinstance(children, list):
            say('"components" must be a list')
            return
        self.components(children, base + _split(path), ancestors + (id(component),))


def _path_problem(text):
    """Why `text` cannot be a key or path (None when it can)."""
    if not isinstance(text, str) or not text:
        return "is missing"
    for segment in text.split("."):
        if segment in _RESERVED:
            return f"'{text}' uses the reserved name '{segment}': {_RESERVED[segment]}"
        if segment.startswith("_"):
            return f"'{text}' has a part starting with '_', which scripts cannot name"
        if not _SEGMENT.fullmatch(segment) or keyword.iskeyword(segment):
            return (f"'{text}' must be names joined by dots, each a letter followed by letters, "
                    f"digits or '_' and not a Python keyword, so scripts can use it as a variable")
    return None


def _split(path):
    return tuple(path.split(".")) if path else ()


@lru_cache(maxsize=256)
def _js_regex(pattern):
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


# --- validating a submission -----------------------------------------------------------------

def validate_submission(schema: dict, data: dict, language: str = "zh-hans", context: dict = None,
                        attachments=None):
    """Check what a task's form submitted against its schema; returns (cleaned_data, errors).

    `schema` has passed check_schema. `errors` maps a field's data path
    ("budget_lines[0].amount") to a message naming the field by its label, in
    Simplified Chinese, or English when `language` starts with "en". `context` is
    the task's current data: conditions see it beneath the submitted values, as
    form-js shows the form over the task's data, and options bound by `valuesKey`
    are checked against it (without it they cannot be checked, and are accepted).
    `attachments`, given the attachment ids (text) a file field names, returns those
    that may be named here (uploaded for the task or its instance); without it only
    the references' form is checked.
    """
    return _Submission(language, context or {}, attachments).run(schema.get("components", []), data)


class _Invalid(Exception):
    """A value breaks a rule: `code` picks the message, `message` overrides it (a form's patternErrorMessage)."""

    def __init__(self, code, message=None, **params):
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params


@dataclass
class _Scope:
    """What form-js names `this`, `parent` and `i` in expressions: the current row, the one around it, row numbers."""

    this: dict
    parent: object
    indexes: list


def _expression_context(this, parent, indexes, data):
    # form-js's buildExpressionContext: data names win over this/parent/i, _this_/_parent_/_i_ over all.
    special = {"this": this, "parent": parent, "i": indexes}
    return {**special, **data, **{f"_{name}_": value for name, value in special.items()}}


class _Submission:
    def __init__(self, language, context, attachments):
        self.chinese = not language.lower().startswith("en")
        self.messages = _MESSAGES["zh" if self.chinese else "en"]
        self.context = context
        self.attachments = attachments
        self.root = None
        self.errors = {}

    def run(self, components, data):
        data = data if isinstance(data, dict) else {}
        typed = {}
        self.typed(components, data, typed, ())
        # The browser holds the form's values converted, over the task's data...
        self.root = {**self.context, **typed}
        # ...and shows each field by its condition read without the values of hidden fields, where
        # the task's own value shows through (form-js's useFilteredFormData): a value sent for a
        # hidden field cannot hide another one.
        filtered = copy.deepcopy(self.root)
        self.drop_hidden(components, filtered, (), _Scope(self.root, None, []))
        self.root = {**self.context, **filtered}
        cleaned = {}
        self.clean(components, data, cleaned, (), "", _Scope(self.root, None, []))
        return cleaned, self.errors

    def typed(self, components, row_in, row_out, base):
        """Copy the form's values into row_out, converted where they convert, for conditions to read."""
        for component in components:
            kind = component.get("type")
            if kind in _KEYED:
                path = base + _split(component["key"])
                raw = _get(row_in, path)
                if raw is not None:
                    try:
                        _set(row_out, path, self.convert(component, raw))
                    except _Invalid:
                        _set(row_out, path, raw)
            elif kind in _CONTAINERS:
                path = base + _split(component.get("path"))
                children = component.get("components", [])
                if _repeats(component):
                    rows = _get(row_in, path)
                    if isinstance(rows, list):
                        _set(row_out, path, [self.typed_row(children, row) for row in rows])
                else:
                    self.typed(children, row_in, row_out, path)

    def drop_hidden(self, components, target, base, scope, hidden=False):
        """Remove from `target` the values of the fields hidden as conditions read self.root."""
        for component in components:
            kind = component.get("type")
            if kind in _DISPLAY:
                continue
            is_hidden = hidden or self.hidden(component, scope)
            if kind in _KEYED:
                if is_hidden:
                    _delete(target, base + _split(component["key"]))
                continue
            path = base + _split(component.get("path"))
            children = component.get("components", [])
            if not _repeats(component):
                self.drop_hidden(children, target, path, scope, is_hidden)
            elif is_hidden:
                _delete(target, path)
            elif isinstance(_get(scope.this, path), list):
                for n, (row, row_target) in enumerate(zip(_get(scope.this, path), _get(target, path))):
                    if isinstance(row, dict):
                        self.drop_hidden(children, row_target, (), _Scope(row, scope.this, scope.indexes + [n + 1]))

    def typed_row(self, children, row):
        out = {}
        if isinstance(row, dict):
            self.typed(children, row, out, ())
        return out

    def clean(self, components, row_in, row_out, base, prefix, scope):
        for component in components:
            kind = component.get("type")
            if kind in _DISPLAY or kind == "expression" or self.hidden(component, scope):
                continue
            if kind in _INPUTS:
                self.field(component, row_in, row_out, base + _split(component["key"]), prefix, scope)
            elif _repeats(component):
                self.rows(component, row_in, row_out, base + _split(component.get("path")), prefix, scope)
            else:
                self.clean(component.get("components", []), row_in, row_out,
                           base + _split(component.get("path")), prefix, scope)

    def expression_context(self, scope):
        return _expression_context(scope.this, scope.parent, scope.indexes, self.root)

    def hidden(self, component, scope):
        hide = (component.get("conditional") or {}).get("hide")
        return isinstance(hide, str) and hide.startswith("=") and \
            feel.unary_test(hide[1:], self.expression_context(scope))

    def readonly(self, component, scope):
        readonly = component.get("readonly")
        if isinstance(readonly, str) and readonly.startswith("="):
            return feel.unary_test(readonly[1:], self.expression_context(scope))
        return bool(readonly)

    def field(self, component, row_in, row_out, path, prefix, scope):
        if component.get("disabled") or self.readonly(component, scope):
            return
        try:
            value = self.convert(component, _get(row_in, path))
            if not _is_empty(component, value):
                self.check(component, value, scope)
            elif (component.get("validate") or {}).get("required") is True:
                raise _Invalid("required")
        except _Invalid as invalid:
            self.errors[prefix + ".".join(path)] = invalid.message or \
                self.messages[invalid.code].format(label=_label(component), **invalid.params)
            return
        _set(row_out, path, value)

    def rows(self, component, row_in, row_out, path, prefix, scope):
        if not _has_editable_input(component.get("components", [])):
            return  # rows shown to read: the browser sends them back emptied, the task keeps its own
        where = prefix + ".".join(path)
        rows = _get(row_in, path)
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            self.errors[where] = self.messages["rows"].format(label=_label(component))
            return
        children = component.get("components", [])
        # In a row, form-js's `parent` is the whole expression context around it.
        parent = _expression_context(scope.this, scope.parent, scope.indexes, scope.this)
        cleaned = []
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                self.errors[f"{where}[{n}]"] = self.messages["row"].format(label=_label(component), n=n + 1)
                continue
            out = {}
            row_scope = _Scope(self.typed_row(children, row), parent, scope.indexes + [n + 1])
            self.clean(children, row, out, (), f"{where}[{n}].", row_scope)
            cleaned.append(out)
        if not rows and (component.get("validate") or {}).get("required") is True:
            self.errors[where] = self.messages["no_rows"].format(label=_label(component))
        _set(row_out, path, cleaned)

    # Converting one value: the result, or _Invalid. None, "" and [] mean "no value".

    def convert(self, component, raw):
        kind = component["type"]
        if kind in ("textfield", "textarea"):
            if raw is None:
                return ""
            if not isinstance(raw, str):
                raise _Invalid("text")
            return raw
        if kind == "number":
            return self.number(component, raw)
        if kind == "checkbox":
            if raw is None:
                return False
            if not isinstance(raw, bool):
                raise _Invalid("boolean")
            return raw
        if kind in ("select", "radio"):
            if raw in (None, ""):
                return None
            self.check_option(component, raw, "option")
            return raw
        if kind in ("checklist", "taglist"):
            if raw is None:
                return []
            if not isinstance(raw, list):
                raise _Invalid("options")
            for item in raw:
                self.check_option(component, item, "options")
            return raw
        if kind == "datetime":
            return _datetime_text(component.get("subtype", "date"), raw)
        if kind == "filepicker":
            if raw in (None, ""):
                return []
            return [_file_reference(ref) for ref in (raw if isinstance(raw, list) else [raw])]
        return raw  # expression fields: whatever the browser computed, for conditions only

    def number(self, component, raw):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        number = _decimal(raw)
        if number is None:
            raise _Invalid("number")
        if number.adjusted() >= 15:  # beyond what a browser's float holds exactly
            raise _Invalid("too_large")
        digits = component.get("decimalDigits")
        places = max(0, -number.normalize().as_tuple().exponent)
        if digits is not None and places > digits:
            if digits == 0:
                raise _Invalid("integer")
            raise _Invalid("decimals", digits=_ZH_COUNTS[digits] if self.chinese and digits <= 10 else digits)
        if digits == 0 or (digits is None and places == 0):
            return int(number)
        if digits is None:
            return number
        return number.quantize(Decimal(1).scaleb(-digits))

    def check_option(self, component, value, code):
        if not isinstance(value, (str, int, float)):  # no objects: they could smuggle 'typename' into task data
            raise _Invalid(code)
        allowed = self.options(component)
        if allowed is not None and not any(_same(value, option) for option in allowed):
            raise _Invalid(code)

    def options(self, component):
        """The allowed option values, or None when they come from an expression the browser evaluates."""
        if "values" in component:
            return [option.get("value") for option in component["values"]]
        source = self.context.get(component.get("valuesKey"))
        if isinstance(source, list):
            return [option.get("value") if isinstance(option, dict) else option for option in source]
        return None

    # Constraints on a value that is present.

    def check(self, component, value, scope):
        kind = component["type"]
        rules = component.get("validate") or {}
        if kind in ("textfield", "textarea"):
            self.check_text(rules, value, scope)
        elif kind == "number":
            self.check_number(component, rules, value, scope)
        elif kind == "datetime":
            if component.get("disallowPassedDates") and component.get("subtype", "date") != "time" \
                    and value[:10] < clock.today_in_china().isoformat():
                raise _Invalid("past_date")
        elif kind == "filepicker":
            if len(value) > 1:
                multiple = component.get("multiple", False)
                if isinstance(multiple, str) and multiple.startswith("="):
                    multiple = feel.evaluate(multiple[1:], self.expression_context(scope))
                if multiple is not True:
                    raise _Invalid("one_file")
            if self.attachments is not None:
                ids = {ref["id"] if isinstance(ref, dict) else ref for ref in value}
                if ids - set(self.attachments(ids)):
                    raise _Invalid("unknown_file")

    def check_text(self, rules, value, scope):
        pattern = rules.get("pattern")
        if pattern and not _js_regex(pattern).search(value):
            raise _Invalid("pattern", message=rules.get("patternErrorMessage") or None)
        # The browser counts UTF-16 units of the trimmed text.
        length = len(value.strip().encode("utf-16-le")) // 2
        min_length = self.bound(rules, "minLength", scope)
        if min_length is not None and length < min_length:
            raise _Invalid("min_length", limit=_show(min_length))
        max_length = self.bound(rules, "maxLength", scope)
        if max_length is not None and length > max_length:
            raise _Invalid("max_length", limit=_show(max_length))
        validation_type = rules.get("validationType")
        if validation_type == "email" and not _js_regex(_EMAIL).search(value):
            raise _Invalid("email")
        if validation_type == "phone" and not _js_regex(_PHONE).search(value):
            raise _Invalid("phone")

    def check_number(self, component, rules, value, scope):
        minimum = self.bound(rules, "min", scope)
        if minimum is not None and value < minimum:
            raise _Invalid("min", limit=_show(minimum))
        maximum = self.bound(rules, "max", scope)
        if maximum is not None and value > maximum:
            raise _Invalid("max", limit=_show(maximum))
        step = _decimal(component.get("increment"))
        if step and Decimal(value) % step:
            raise _Invalid("increment", step=_show(step))

    def bound(self, rules, prop, scope):
        """A validate limit as a Decimal; evaluated when it is an expression; None when unset."""
        value = rules.get(prop)
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("="):
            value = feel.evaluate(value[1:], self.expression_context(scope))
        number = _decimal(value)
        if number is None:  # the browser refuses the value too ("not a valid number")
            raise _Invalid("bad_rule")
        return number


def _has_editable_input(components):
    """Whether a user can change anything among `components`: an input neither disabled nor always readonly."""
    for component in components:
        if component.get("type") in _CONTAINERS:
            if _has_editable_input(component.get("components", [])):
                return True
        elif component.get("type") in _INPUTS and not component.get("disabled") \
                and component.get("readonly") is not True:
            return True
    return False


def _repeats(component):
    return component.get("type") == "dynamiclist" and bool(component.get("isRepeating"))


def _get(data, path):
    for segment in path:
        if not isinstance(data, dict):
            return None
        data = data.get(segment)
    return data


def _delete(data, path):
    parent = _get(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _set(data, path, value):
    for segment in path[:-1]:
        data = data.setdefault(segment, {})
    data[path[-1]] = value


def _is_empty(component, value):
    return value in (None, "") or value == [] or (component["type"] == "checkbox" and value is False)


def _label(component):
    for prop in ("label", "dateLabel", "timeLabel"):
        text = component.get(prop)
        # A label computed in the browser ('=...' or a {{template}}) cannot name the field here.
        if isinstance(text, str) and text.strip() and not text.startswith("=") and "{{" not in text:
            return text.strip()
    return component.get("key") or component.get("path") or component.get("id")


def _decimal(value):
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


def _show(number):
    return format(Decimal(number).normalize(), "f")


def _same(a, b):
    """Option equality as JSON sees it: 1 and 1.0 are one number, but neither is "1" nor true."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        return a == b
    return type(a) is type(b) and a == b


def _datetime_text(subtype, raw):
    if raw in (None, ""):
        return None
    pattern, parse = _DATETIME_FORMATS[subtype]
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise _Invalid(subtype)
    try:
        parse(raw)
    except ValueError:
        raise _Invalid(subtype) from None
    return raw


def _file_reference(ref):
    if isinstance(ref, str) and _is_uuid(ref):
        return ref
    if not isinstance(ref, dict) or not _is_uuid(ref.get("id")) or not ref.get("name"):
        raise _Invalid("files")
    for key, kinds in _FILE_KEYS.items():
        if key in ref and (not isinstance(ref[key], kinds) or isinstance(ref[key], bool)):
            raise _Invalid("files")
    # Only the known keys: anything else is the browser's to invent and the task's to not keep.
    return {key: ref[key] for key in _FILE_KEYS if key in ref}


def _is_uuid(value):
    return isinstance(value, str) and _UUID.fullmatch(value) is not None
