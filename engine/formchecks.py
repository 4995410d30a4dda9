"""Rules across a form's fields that its schema cannot state (e.g. rows that must add up to a total).

The domain registers a check for a form id; completing a task with that form runs it after the
schema's own validation, before anything changes, and refuses the submission with its errors.
"""
_checks = {}


def form_check(form_id):
    """Register the decorated function as a check of the form `form_id`.

    It receives the validated submission and returns {field key: message} for what is wrong
    (empty when the data is fine); the key names the field the message belongs to.
    """

    def register(func):
        checks = _checks.setdefault(form_id, [])
        if func not in checks:
            checks.append(func)
        return func

    return register


def errors_for(form_id, data):
    """What the checks registered for `form_id` find wrong with `data`."""
    errors = {}
    for check in _checks.get(form_id, ()):
        errors.update(check(data) or {})
    return errors
