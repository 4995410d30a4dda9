"""The deploy-time check of a form-js form: every reason form-js or this engine could not use it.

Runs on every form a deployment brings (engine/bpmn/validation.py); a form it
passes is one submission.py can validate. The problems are for the modeler, so
they are in English and name the component they are about.
"""
import keyword
import re

from ..errors import Problem
from . import feel
from .components import (
    CONTAINERS, INPUTS, KEYED, OPTION_TYPES, TYPES, PatternError, js_regex, same_value, split_path, to_decimal,
)

__all__ = ["check_schema"]

_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RESERVED = {
    "typename": "SpiffWorkflow would read a dict holding 'typename' as one of its serialized objects",
    "prototype": "form-js refuses it",
    "constructor": "form-js refuses it",
}


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

        if not isinstance(kind, str) or kind not in TYPES:
            say(f"unknown component type; form-js knows {', '.join(sorted(TYPES))}")
            return
        self.check_id(component.get("id"), say)
        conditional = component.get("conditional")
        if conditional is not None:
            if not isinstance(conditional, dict):
                say('"conditional" must be an object')
            elif "hide" in conditional:
                self.expression(conditional["hide"], "conditional.hide", say, required=True)
        if kind in KEYED:
            self.keyed(component, base, ancestors, say)
        if kind in INPUTS:
            self.input(component, kind, say)
        elif kind in CONTAINERS:
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
        elif not self.paths.claim(base + split_path(key), ancestors, closed=True):
            say(f"key '{key}' is already bound by another field of the same scope")

    def input(self, component, kind, say):
        readonly = component.get("readonly")
        if readonly is not None and not isinstance(readonly, bool) and not self.expression(readonly, "readonly", say):
            say('"readonly" must be true, false or a FEEL expression')
        if "disabled" in component and not isinstance(component["disabled"], bool):
            say('"disabled" must be true or false')
        self.validate(component.get("validate"), say)
        if kind in OPTION_TYPES:
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
            if value is not None and to_decimal(value) is None \
                    and not self.expression(value, f"validate.{prop}", say):
                say(f"validate.{prop} must be a number or a FEEL expression")
        for prop in ("minLength", "maxLength"):
            value = rules.get(prop)
            is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if value is not None and not is_count and not self.expression(value, f"validate.{prop}", say):
                say(f"validate.{prop} must be a whole number of characters or a FEEL expression")
        pattern = rules.get("pattern")
        if pattern is not None:
            try:
                js_regex(pattern)
            except (PatternError, TypeError) as err:
                say(f"validate.pattern cannot be checked alike in the browser and on the server: {err}")
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
            elif any(same_value(value, other) for other in seen):
                say(f"option value {value!r} appears twice")
            else:
                seen.append(value)

    def number(self, component, say):
        digits = component.get("decimalDigits")
        if digits is not None and (not isinstance(digits, int) or isinstance(digits, bool) or digits < 0):
            say('"decimalDigits" must be a whole number, 0 or more')
        increment = component.get("increment")
        if increment is not None:
            step = to_decimal(increment)
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
            repeater = id(component) if repeating else None
            if not self.paths.claim(base + split_path(path), ancestors, repeater=repeater):
                say(f"path '{path}' collides with another field's key or list")
                return
        if repeating:  # validate.required: at least one row (checked on the server only)
            self.validate(component.get("validate"), say)
        children = component.get("components", [])
        if not isinstance(children, list):
            say('"components" must be a list')
            return
        self.components(children, base + split_path(path), ancestors + (id(component),))


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
