"""Every action the audit trail can record has a label for the history timelines, so none shows raw."""
import re
from pathlib import Path

from django.apps import apps
from django_fsm import FSMFieldMixin

from engine.models import HumanTask, ProcessInstance
from webui.event_labels import EVENT_LABELS

ROOT = Path(__file__).resolve().parent.parent
# engine.audit names the transitions of these two by a short prefix, every other model by its model name.
PREFIXES = {ProcessInstance: "instance", HumanTask: "task"}
RECORD_CALL = re.compile(r"(?:audit\.record|\brecord_event)\(\s*([^,]+),")
ACTION = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def transition_actions():
    found = set()
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, FSMFieldMixin):
                prefix = PREFIXES.get(model, model._meta.model_name)
                found.update(f"{prefix}.{t.name}" for t in field.get_all_transitions(model))
    return found


def recorded_actions():
    """The action names engine and domain code pass to audit.record() (api.record_event()), read from the source."""
    found = set()
    for path in [path for folder in ("engine", "workflows", "restapi", "accounts", "notifications")
                 for path in (ROOT / folder).rglob("*.py")]:
        for call in RECORD_CALL.finditer(path.read_text(encoding="utf-8")):
            names = ACTION.findall(call.group(1))
            assert names, f"{path.relative_to(ROOT)}: audit.record({call.group(1)}, ...) names no action literally"
            found.update(names)
    return found


def test_every_fsm_transition_has_a_label():
    actions = transition_actions()
    assert {"annualplan.return_for_revision", "lot.award", "servicereport.accept", "instance.suspend",
            "task.claim"} <= actions
    assert sorted(actions - set(EVENT_LABELS)) == []


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert {"timer.armed", "timer.cancelled", "instance.started", "calendar.load"} <= actions
    assert sorted(actions - set(EVENT_LABELS)) == []


def test_no_label_for_an_action_nothing_records():
    assert sorted(set(EVENT_LABELS) - transition_actions() - recorded_actions()) == []
