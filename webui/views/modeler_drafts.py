"""The working copy of a version being edited: its diagram, decisions and forms, with unsaved edits.

Edits are kept in the user's session, per version, until they are deployed or
discarded, so the diagram, the decision and the form editors can be left and
reopened. A new process, not deployed yet, is edited the same way as "version 0"
of its key, its files only in the session.
"""
import json
from dataclasses import dataclass, field

from lxml import etree

from engine import api

SESSION_KEY = "modeler_drafts"
# Decisions are drafts the owner typed or uploaded: read without DTDs, entities or the network.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class WorkingCopy:
    file_name: str  # the BPMN file holding the process
    bpmn: str
    decisions: dict = field(default_factory=dict)  # DMN file name -> XML text
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

    def decision_files(self):
        """[{"file", "id", "name"}] by file name: each file's decision, as business rule tasks name it
        (empty for a file that does not parse; validation says why)."""
        found = []
        for name, text in sorted(self.decisions.items()):
            try:
                root = etree.fromstring(text.encode("utf-8"), _XML)
            except etree.XMLSyntaxError:
                root = None
            decision = root.find("{*}decision") if root is not None else None
            found.append({"file": name, "id": decision.get("id", "") if decision is not None else "",
                          "name": decision.get("name", "") if decision is not None else ""})
        return found


@dataclass
class NewProcess:
    """A process being created: what pages read of a version (key, name, number 0), nothing deployed."""

    key: str
    name: str
    number: int = 0

    @property
    def definition(self):
        return self  # pages read version.definition.key


def _session_key(version):
    return f"{version.definition.key}:{version.number}"


def start_new(request, key, name, bpmn, forms):
    """Keep a new process's first diagram and forms as its draft, to be edited and deployed as version 1."""
    drafts = request.session.get(SESSION_KEY, {})
    drafts[f"{key}:0"] = {"bpmn": bpmn, "decisions": {}, "forms": forms, "file_name": f"{key}.bpmn", "name": name}
    request.session[SESSION_KEY] = drafts


def new_process(request, key):
    """The NewProcess `key` being created in this session, or None."""
    draft = request.session.get(SESSION_KEY, {}).get(f"{key}:0")
    return NewProcess(key, draft["name"]) if draft else None


def working_copy(request, version) -> WorkingCopy:
    if isinstance(version, NewProcess):
        draft = request.session[SESSION_KEY][_session_key(version)]
        return WorkingCopy(file_name=draft["file_name"], bpmn=draft["bpmn"], forms=dict(draft["forms"]), edited=True,
                           decisions=dict(draft.get("decisions") or {}))
    key = version.definition.key
    deployed = api.diagram(key, version.number)
    name = api.main_file(key, deployed["bpmn"])
    copy = WorkingCopy(file_name=name, bpmn=deployed["bpmn"][name], decisions=dict(deployed["decisions"]),
                       forms=dict(deployed["forms"]))
    draft = request.session.get(SESSION_KEY, {}).get(_session_key(version))
    if draft:
        copy.edited = True
        copy.bpmn = draft.get("bpmn") or copy.bpmn
        copy.decisions.update(draft.get("decisions") or {})
        copy.forms.update(draft.get("forms") or {})
    return copy


def save_draft(request, version, bpmn=None, decisions=None, forms=None):
    """Keep edits of the diagram, decisions ({file name: DMN text}) and/or forms ({file name: JSON text})."""
    drafts = request.session.get(SESSION_KEY, {})
    draft = drafts.setdefault(_session_key(version), {"bpmn": None, "decisions": {}, "forms": {}})
    if bpmn is not None:
        draft["bpmn"] = bpmn
    if decisions:
        # Drafts kept before decisions were edited have no such key.
        draft.setdefault("decisions", {}).update(decisions)
    if forms:
        draft["forms"].update(forms)
    request.session[SESSION_KEY] = drafts


def discard_draft(request, version):
    drafts = request.session.get(SESSION_KEY, {})
    if drafts.pop(_session_key(version), None) is not None:
        request.session[SESSION_KEY] = drafts
