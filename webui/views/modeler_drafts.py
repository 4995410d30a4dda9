"""The working copy of a version being edited: its diagram and forms, with unsaved edits.

Edits are kept in the user's session, per version, until they are deployed or
discarded, so the diagram and the form editor can be left and reopened.
"""
import json
from dataclasses import dataclass, field

from engine import api

SESSION_KEY = "modeler_drafts"


@dataclass
class WorkingCopy:
    file_name: str  # the BPMN file holding the process
    bpmn: str
    forms: dict = field(default_factory=dict)  # form file name -> JSON text
    edited: bool = False  # whether the session holds edits of this version

    def form_file(self, form_id):
        """The file name of the form with this id, or None."""
        for name, text in self.forms.items():
            try:
                if json.loads(text).get("id") == form_id:
                    return name
            except (ValueError, AttributeError):
                continue
        return None


def _session_key(version):
    return f"{version.definition.key}:{version.number}"


def working_copy(request, version) -> WorkingCopy:
    key = version.definition.key
    deployed = api.diagram(key, version.number)
    name = api.main_file(key, deployed["bpmn"])
    copy = WorkingCopy(file_name=name, bpmn=deployed["bpmn"][name], forms=dict(deployed["forms"]))
    draft = request.session.get(SESSION_KEY, {}).get(_session_key(version))
    if draft:
        copy.edited = True
        copy.bpmn = draft.get("bpmn") or copy.bpmn
        copy.forms.update(draft.get("forms") or {})
    return copy


def save_draft(request, version, bpmn=None, forms=None):
    """Keep edits of the diagram and/or forms ({file name: JSON text}) of `version`."""
    drafts = request.session.get(SESSION_KEY, {})
    draft = drafts.setdefault(_session_key(version), {"bpmn": None, "forms": {}})
    if bpmn is not None:
        draft["bpmn"] = bpmn
    if forms:
        draft["forms"].update(forms)
    request.session[SESSION_KEY] = drafts


def discard_draft(request, version):
    drafts = request.session.get(SESSION_KEY, {})
    if drafts.pop(_session_key(version), None) is not None:
        request.session[SESSION_KEY] = drafts
