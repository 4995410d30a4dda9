"""What a task's form-js form submitted, checked against the form's schema when the task is completed.

User tasks show forms drawn with bpmn.io's form-js (1.23, schemaVersion 19) and
rendered by it in the browser. The browser's checks only help the user; the
server repeats them on whatever arrives, with the same conditions (evaluated by
feel.py), and keeps only what the form defines. The form itself was checked at
deployment (schema.py).

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
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from .. import clock
from . import feel, messages
from .components import (
    CONTAINERS, DISPLAY, INPUTS, KEYED, amount_text, delete_path, get_path, has_editable_input, js_regex, PatternError, same_value,
    set_path, split_path, to_decimal,
)

__all__ = ["validate_submission"]

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


def validate_submission(schema: dict, data: dict, context: dict = None, attachments=None):
    """Check what a task's form submitted against its schema; returns (cleaned_data, errors).

    `schema` has passed check_schema. `errors` maps a field's data path
    ("budget_lines[0].amount") to a message naming the field by its label, in the
    active language. `context` is the task's current data: conditions see it
    beneath the submitted values, as form-js shows the form over the task's data,
    and options bound by `valuesKey` are checked against it (without it they
    cannot be checked, and are accepted).
    `attachments`, given the attachment ids (text) a file field names, returns those
    that may be named here (uploaded for the task or its instance); without it only
    the references' form is checked.
    """
    return _Submission(context or {}, attachments).run(schema.get("components", []), data)


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
    def __init__(self, context, attachments):
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
            if kind in KEYED:
                path = base + split_path(component["key"])
                raw = get_path(row_in, path)
                if raw is not None:
                    try:
                        set_path(row_out, path, self.convert(component, raw))
                    except _Invalid:
                        set_path(row_out, path, raw)
            elif kind in CONTAINERS:
                path = base + split_path(component.get("path"))
                children = component.get("components", [])
                if _repeats(component):
                    rows = get_path(row_in, path)
                    if isinstance(rows, list):
                        set_path(row_out, path, [self.typed_row(children, row) for row in rows])
                else:
                    self.typed(children, row_in, row_out, path)

    def drop_hidden(self, components, target, base, scope, hidden=False):
        """Remove from `target` the values of the fields hidden as conditions read self.root."""
        for component in components:
            kind = component.get("type")
            if kind in DISPLAY:
                continue
            is_hidden = hidden or self.hidden(component, scope)
            if kind in KEYED:
                if is_hidden:
                    delete_path(target, base + split_path(component["key"]))
                continue
            path = base + split_path(component.get("path"))
            children = component.get("components", [])
            if not _repeats(component):
                self.drop_hidden(children, target, path, scope, is_hidden)
            elif is_hidden:
                delete_path(target, path)
            elif isinstance(get_path(scope.this, path), list):
                for n, (row, row_target) in enumerate(zip(get_path(scope.this, path), get_path(target, path))):
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
            if kind in DISPLAY or kind == "expression" or self.hidden(component, scope):
                continue
            if kind in INPUTS:
                self.field(component, row_in, row_out, base + split_path(component["key"]), prefix, scope)
            elif _repeats(component):
                self.rows(component, row_in, row_out, base + split_path(component.get("path")), prefix, scope)
            else:
                self.clean(component.get("components", []), row_in, row_out,
                           base + split_path(component.get("path")), prefix, scope)

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
            value = self.convert(component, get_path(row_in, path))
            if not _is_empty(component, value):
                self.check(component, value, scope)
            elif (component.get("validate") or {}).get("required") is True:
                raise _Invalid("required")
        except _Invalid as invalid:
            self.errors[prefix + ".".join(path)] = invalid.message or \
                messages.text(invalid.code, label=_label(component), **invalid.params)
            return
        set_path(row_out, path, value)

    def rows(self, component, row_in, row_out, path, prefix, scope):
        if not has_editable_input(component.get("components", [])):
            return  # rows shown to read: the browser sends them back emptied, the task keeps its own
        where = prefix + ".".join(path)
        rows = get_path(row_in, path)
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            self.errors[where] = messages.text("rows", label=_label(component))
            return
        children = component.get("components", [])
        # In a row, form-js's `parent` is the whole expression context around it.
        parent = _expression_context(scope.this, scope.parent, scope.indexes, scope.this)
        cleaned = []
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                self.errors[f"{where}[{n}]"] = messages.text("row", label=_label(component), n=n + 1)
                continue
            out = {}
            row_scope = _Scope(self.typed_row(children, row), parent, scope.indexes + [n + 1])
            self.clean(children, row, out, (), f"{where}[{n}].", row_scope)
            cleaned.append(out)
        if not rows and (component.get("validate") or {}).get("required") is True:
            self.errors[where] = messages.text("no_rows", label=_label(component))
        set_path(row_out, path, cleaned)

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
        number = to_decimal(amount_text(raw) if isinstance(raw, str) else raw)
        if number is None:
            raise _Invalid("number")
        if number.adjusted() >= 15:  # beyond what a browser's float holds exactly
            raise _Invalid("too_large")
        digits = component.get("decimalDigits")
        places = max(0, -number.normalize().as_tuple().exponent)
        if digits is not None and places > digits:
            if digits == 0:
                raise _Invalid("integer")
            raise _Invalid("decimals", digits=messages.count(digits))
        if digits == 0 or (digits is None and places == 0):
            return int(number)
        if digits is None:
            return number
        return number.quantize(Decimal(1).scaleb(-digits))

    def check_option(self, component, value, code):
        if not isinstance(value, (str, int, float)):  # no objects: they could smuggle 'typename' into task data
            raise _Invalid(code)
        allowed = self.options(component)
        if allowed is not None and not any(same_value(value, option) for option in allowed):
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
        if pattern:
            try:
                regex = js_regex(pattern)
            except PatternError:  # deployed before such patterns were refused
                raise _Invalid("bad_rule") from None
            if not regex.search(value):
                raise _Invalid("pattern", message=rules.get("patternErrorMessage") or None)
        # The browser counts UTF-16 units of the trimmed text.
        length = len(value.strip().encode("utf-16-le")) // 2
        self.check_range(rules, scope, length, ("minLength", "min_length"), ("maxLength", "max_length"))
        validation_type = rules.get("validationType")
        if validation_type == "email" and not js_regex(_EMAIL).search(value):
            raise _Invalid("email")
        if validation_type == "phone" and not js_regex(_PHONE).search(value):
            raise _Invalid("phone")

    def check_number(self, component, rules, value, scope):
        self.check_range(rules, scope, value, ("min", "min"), ("max", "max"))
        step = to_decimal(component.get("increment"))
        if step and Decimal(value) % step:
            raise _Invalid("increment", step=_show(step))

    def check_range(self, rules, scope, value, low, high):
        """`value` within the rules' limits; `low` and `high` are (rule, message code)."""
        minimum = self.bound(rules, low[0], scope)
        if minimum is not None and value < minimum:
            raise _Invalid(low[1], limit=_show(minimum))
        maximum = self.bound(rules, high[0], scope)
        if maximum is not None and value > maximum:
            raise _Invalid(high[1], limit=_show(maximum))

    def bound(self, rules, prop, scope):
        """A validate limit as a Decimal; evaluated when it is an expression; None when unset."""
        value = rules.get(prop)
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("="):
            value = feel.evaluate(value[1:], self.expression_context(scope))
        number = to_decimal(value)
        if number is None:  # the browser refuses the value too ("not a valid number")
            raise _Invalid("bad_rule")
        return number


def _repeats(component):
    return component.get("type") == "dynamiclist" and bool(component.get("isRepeating"))


def _is_empty(component, value):
    return value in (None, "") or value == [] or (component["type"] == "checkbox" and value is False)


def _label(component):
    for prop in ("label", "dateLabel", "timeLabel"):
        text = component.get(prop)
        # A label computed in the browser ('=...' or a {{template}}) cannot name the field here.
        if isinstance(text, str) and text.strip() and not text.startswith("=") and "{{" not in text:
            return text.strip()
    return component.get("key") or component.get("path") or component.get("id")


def _show(number):
    return format(Decimal(number).normalize(), "f")


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
