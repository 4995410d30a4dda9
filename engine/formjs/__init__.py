"""User tasks' forms, drawn with bpmn.io's form-js: checked at deployment, their submissions on completion.

schema.py checks a form at deployment, submission.py validates what a user
submitted, in messages from messages.py; both read form conditions with
feel.py and share the helpers of components.py.
"""
from . import feel
from .components import has_editable_input, js_regex, set_path
from .schema import check_schema
from .submission import validate_submission

__all__ = ["check_schema", "feel", "has_editable_input", "js_regex", "set_path", "validate_submission"]
