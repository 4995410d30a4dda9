"""What a form calls its data: each field's label and each option's label, for pages that show data."""
from .components import CONTAINERS, KEYED, OPTION_TYPES


def form_labels(schemas):
    """{"fields": {key: label}, "options": {key: {value: label}}} over form-js `schemas`, the first form
    naming a key winning. Keys are a field's own key, also inside groups and dynamic lists (whose rows
    show their fields' keys)."""
    fields, options = {}, {}

    def walk(components):
        for component in components or ():
            kind = component.get("type")
            key = component.get("key") or (component.get("path") if kind in CONTAINERS else None)
            label = component.get("label")
            if key and isinstance(key, str) and isinstance(label, str) and label.strip() \
                    and (kind in KEYED or kind in CONTAINERS):
                fields.setdefault(key.split(".")[-1], label.strip())
            if kind in OPTION_TYPES and key and isinstance(component.get("values"), list):
                named = {str(v.get("value")): v.get("label") for v in component["values"]
                         if isinstance(v, dict) and isinstance(v.get("label"), str)}
                if named:
                    options.setdefault(key.split(".")[-1], named)
            if kind in CONTAINERS:
                walk(component.get("components"))

    for schema in schemas:
        if isinstance(schema, dict):
            walk(schema.get("components"))
    return {"fields": fields, "options": options}
