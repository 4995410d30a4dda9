"""Valid data for a form-js form, as a conscientious clerk would type it.

Every input the form shows gets a value that keeps its rules: required fields,
lengths, patterns, e-mail and phone types, number bounds (also when given as
FEEL expressions), decimal places (money as text with two decimals), increments,
options, dates, repeating rows. Fields a condition may hide are filled too: the
server drops what the form hides. The result is checked with the engine's own
validation and the domain's checks of the form, so a form this cannot fill is reported
rather than submitted.
"""
import random
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from engine import api
# The server's JavaScript-faithful regex, its test for what a user can change, its nested-key setter.
from engine.api.formjs import feel, has_editable_input, js_regex, set_path, validate_form

TEXT = "根据年度计划和服务协议，按时保质完成相关工作，情况属实。"
MONEY_HINTS = ("amount", "budget", "price", "money", "fee", "fund", "cost", "total", "yuan")
# Values that satisfy the patterns forms commonly carry (phone, landline, division code, credit code...).
PATTERN_CANDIDATES = (
    "13800000000", "+8613800000000", "0851-85551234", "520102", "91520102MA6DKQ8X5Y", "550001",
    "A1", "ABC123", "123456", "1", "2027", "张三", "a@example.org",
)
DEFAULT_PHONE = "+8613800000000"
DEFAULT_EMAIL = "office@example.org"


class FormFillError(Exception):
    def __init__(self, form_id, errors):
        super().__init__(f"form '{form_id}': generated data is refused: {errors}")
        self.errors = errors


class FormFiller:
    """Fills forms for one simulated user; `rng` makes the choices, `today` is the China date."""

    def __init__(self, rng: random.Random, today: date, actor: str = "", instance=None, task_id=None):
        self.rng = rng
        self.today = today
        self.actor = actor
        self.instance = instance
        self.task_id = task_id

    def fill(self, schema, context=None, choices=None):
        """Data for `schema` over the task's `context`; `choices` fixes values by key (e.g. decision) or
        a repeating list's rows by its path."""
        context = dict(context or {})
        choices = choices or {}
        data = {}
        self._components(schema.get("components", []), data, context, choices)
        _cleaned, errors = validate_form(schema, data, context=context)
        if errors:
            raise FormFillError(schema.get("id"), errors)
        return data

    def _components(self, components, target, context, choices):
        for component in components:
            kind = component.get("type")
            if kind == "group":
                path = component.get("path")
                inner = target.setdefault(path, {}) if path else target
                self._components(component.get("components", []), inner, context, choices)
            elif kind == "dynamiclist":
                children = component.get("components", [])
                if not has_editable_input(children):
                    continue  # rows shown to read only: sending them would overwrite the task's rows
                if component["path"] in choices:
                    target[component["path"]] = choices[component["path"]]
                    continue
                existing = {**context, **target}.get(component["path"])
                if isinstance(existing, list) and existing and not component.get("allowAddRemove"):
                    rows = len(existing)
                else:
                    rows = component.get("defaultRepetitions") or 1
                    if component.get("allowAddRemove"):
                        rows = max(rows, self.rng.randint(1, 3))
                target[component["path"]] = [self._row(children, context, choices) for _ in range(rows)]
            # An input the user types into: a readonly one keeps the task's value, a conditional readonly is filled.
            elif has_editable_input((component,)):
                key = component["key"]
                value = choices[key] if key in choices else self._value(component, {**context, **target})
                if value is not None:
                    set_path(target, key.split("."), value)

    def _row(self, components, context, choices):
        row = {}
        self._components(components, row, context, choices)
        return row

    def _value(self, component, scope):
        kind = component["type"]
        rules = component.get("validate") or {}
        required = rules.get("required") is True
        if kind in ("textfield", "textarea"):
            return self._text(component, rules, scope)
        if kind == "number":
            return self._number(component, rules, scope)
        if kind == "checkbox":
            return required
        if kind in ("select", "radio"):
            options = self._options(component, scope)
            return options[0] if options else None
        if kind in ("checklist", "taglist"):
            options = self._options(component, scope)
            if not options:
                return []
            return [options[0]] + [o for o in options[1:] if self.rng.random() < 0.4]
        if kind == "datetime":
            day = self.today.isoformat()
            return {"time": "10:00", "datetime": f"{day}T10:00"}.get(component.get("subtype", "date"), day)
        if kind == "filepicker":
            return [self._attachment(component)] if required else []
        return None

    def _text(self, component, rules, scope):
        if rules.get("validationType") == "email":
            return DEFAULT_EMAIL
        if rules.get("validationType") == "phone":
            return DEFAULT_PHONE
        minimum = _bound(rules, "minLength", scope)
        maximum = _bound(rules, "maxLength", scope)
        pattern = rules.get("pattern")
        if pattern:
            regex = js_regex(pattern)
            return next((c for c in PATTERN_CANDIDATES if regex.search(c)), PATTERN_CANDIDATES[0])
        label = (component.get("label") or component["key"]).strip()
        text = f"{label}：{TEXT}" if component["type"] == "textarea" else f"{label}（{self.rng.randint(1, 99)}）"
        while minimum is not None and len(text) < minimum:
            text += TEXT
        if maximum is not None:
            text = text[:int(maximum)]
        return text

    def _number(self, component, rules, scope):
        digits = component.get("decimalDigits")
        key = component["key"].lower()
        money = digits == 2 or any(hint in key for hint in MONEY_HINTS)
        low = _bound(rules, "min", scope)
        high = _bound(rules, "max", scope)
        if money:
            low = Decimal(100000) if low is None else low
            high = low + Decimal(800000) if high is None else high
        else:
            low = Decimal(1) if low is None else low
            high = low + Decimal(20) if high is None else high
        step = Decimal(str(component.get("increment") or 0)) or Decimal(1).scaleb(-(digits or 0))
        lowest = (low / step).to_integral_value(ROUND_CEILING)
        highest = (high / step).to_integral_value(ROUND_FLOOR)
        value = step * self.rng.randint(int(lowest), max(int(lowest), int(highest)))
        if digits:
            return str(value.quantize(Decimal(1).scaleb(-digits)))
        return int(value) if value == value.to_integral_value() else str(value)

    def _options(self, component, scope):
        if "values" in component:
            return [option["value"] for option in component["values"]]
        source = scope.get(component.get("valuesKey"))
        if isinstance(source, list):
            return [option.get("value") if isinstance(option, dict) else option for option in source]
        return []

    def _attachment(self, component):
        label = component.get("label") or component["key"]
        attachment = api.upload_attachment(f"{label}\n{TEXT}\n".encode(), f"{label}.txt", "text/plain",
                                           instance=self.instance, task_id=self.task_id, actor=self.actor or None)
        return {"id": str(attachment.id), "name": attachment.name, "size": attachment.size,
                "type": attachment.content_type}


def _bound(rules, prop, scope):
    value = rules.get(prop)
    if isinstance(value, str) and value.startswith("="):
        try:
            value = feel.evaluate(value[1:], scope)
        except Exception:  # noqa: BLE001 - an unreadable bound is left to the validation to report
            return None
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None
