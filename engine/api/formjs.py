"""Forms for a client that fills them itself (the year simulator): validation as completing a task does it,
and the form-js pieces (expressions, patterns, paths) it needs to make valid data."""
from .. import formchecks
from ..formjs import feel, has_editable_input, js_regex, set_path, validate_submission

__all__ = ["feel", "has_editable_input", "js_regex", "set_path", "validate_form"]


def validate_form(schema, data, context=None, attachments=None):
    """(cleaned data, errors) of `data` submitted on the form `schema` over the task data `context`: the
    schema's rules, then the checks the domain registered for the form (as complete_task runs them)."""
    cleaned, errors = validate_submission(schema, data, context=context, attachments=attachments)
    return cleaned, errors or formchecks.errors_for(schema.get("id"), cleaned)
