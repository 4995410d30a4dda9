"""Comparing two versions of a diagram element by element, keyed by BPMN id.

Read from the deployed XML rather than from SpiffWorkflow's specs: a diagram page
marks elements by their BPMN ids, and sequence flows (with their conditions) and
lanes have ids in the XML but no spec of their own.
"""
import copy

from lxml import etree

from ..decisions.files import is_decision_file
from .parser import bpmn_tag, local_name
from .safe_xml import parse

_B = bpmn_tag("")  # the namespace prefix every BPMN tag starts with
# Elements whose children are the diagram's elements.
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess", "collaboration", "laneSet",
               "childLaneSet"}
# Folded into their element's fingerprint rather than listed on their own.
_FOLDED = {"laneSet", "childLaneSet", "incoming", "outgoing", "flowNodeRef", "documentation", "extensionElements",
           "conditionExpression", "script", "ioSpecification", "dataInputAssociation", "dataOutputAssociation",
           "multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")


def _text(element):
    return " ".join((element.text or "").split()) if element is not None else None


def _qualified(name, nsmap):
    """A namespaced attribute as prefix:local (camunda:assignee), as the modeler shows it."""
    qname = etree.QName(name)
    if qname.namespace is None:
        return qname.localname
    prefix = next((p for p, uri in nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else name


def _canonical(element):
    """Extension content as one canonical string, so formatting does not count (the tree is left as it is)."""
    element = copy.deepcopy(element)
    for node in element.iter():
        if isinstance(node.tag, str):
            node.text = (node.text or "").strip() or None
            node.tail = None
    return etree.tostring(element, method="c14n").decode("utf-8")


def _lanes(root):
    """{flow node id: lane name}; a node in nested lanes gets the innermost lane."""
    lanes = {}
    for lane in root.iter(bpmn_tag("lane")):
        for ref in lane.findall(bpmn_tag("flowNodeRef")):
            lanes[_text(ref)] = lane.get("name") or lane.get("id")
    return lanes


def _flows(root):
    incoming, outgoing = {}, {}
    for tag in ("sequenceFlow", "messageFlow"):
        for flow in root.iter(bpmn_tag(tag)):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("id"))
            incoming.setdefault(flow.get("targetRef"), []).append(flow.get("id"))
    return incoming, outgoing


def _event_definitions(element):
    timers, events = {}, []
    for definition in element:
        if not isinstance(definition.tag, str) or not local_name(definition).endswith("EventDefinition"):
            continue
        kind = local_name(definition)
        if kind == "timerEventDefinition":
            for child in definition:
                if isinstance(child.tag, str) and local_name(child) in _TIMER_KINDS:
                    timers[local_name(child)] = _text(child)
        else:
            refs = {k: v for k, v in definition.attrib.items() if k != "id"}
            events.append(kind + "".join(f" {k}={v}" for k, v in sorted(refs.items())))
    return timers, sorted(events)


def _extensions(element):
    """(properties {name: value} of any dialect, other extension content as canonical strings)."""
    properties, other = {}, []
    extension = element.find(bpmn_tag("extensionElements"))
    if extension is None:
        return properties, other
    for child in extension.iter():
        if isinstance(child.tag, str) and local_name(child) == "property" and child.get("name") is not None:
            properties[child.get("name")] = child.get("value", _text(child))
    for child in extension:
        if isinstance(child.tag, str) and local_name(child) != "properties":
            other.append(_canonical(child))
    return properties, sorted(other)


def _fingerprint(element, process, lanes, incoming, outgoing):
    nsmap = element.nsmap
    element_id = element.get("id")
    timers, events = _event_definitions(element)
    properties, extensions = _extensions(element)
    loop = next((child for child in element if isinstance(child.tag, str)
                 and local_name(child) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")), None)
    attributes = {_qualified(k, nsmap): v for k, v in element.attrib.items() if k not in ("id", "name")}
    return {
        "type": local_name(element),
        "name": element.get("name") or "",
        "process": process,
        "lane": lanes.get(element_id),
        "incoming": sorted(incoming.get(element_id, [])),
        "outgoing": sorted(outgoing.get(element_id, [])),
        "attributes": attributes,
        "properties": properties,
        "timer": timers,
        "events": events,
        "condition": _text(element.find(bpmn_tag("conditionExpression"))),
        "script": _text(element.find(bpmn_tag("script"))),
        "loop": _canonical(loop) if loop is not None else None,
        "extensions": extensions,
    }


def elements(content: bytes, file_name: str) -> dict:
    """{BPMN id: fingerprint} of every process, flow element, lane, participant and message flow in a file."""
    root = parse(content, file_name)
    if is_decision_file(root):
        return _decisions(root, file_name)
    lanes = _lanes(root)
    incoming, outgoing = _flows(root)
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(_B) or element.get("id") is None:
            continue
        parent = element.getparent()
        is_process = local_name(element) == "process"
        if not is_process and (parent is None or local_name(parent) not in _CONTAINERS
                               or local_name(element) in _FOLDED):
            continue
        process = next((a.get("id") for a in element.iterancestors()
                        if isinstance(a.tag, str) and local_name(a) in ("process", "collaboration")), None)
        found[element.get("id")] = {**_fingerprint(element, process or element.get("id"), lanes, incoming, outgoing),
                                    "file": file_name}
    return found


def _decisions(root, file_name):
    """{decision id: fingerprint} of a DMN file: its table's policy, columns and rules, a rule by its row."""
    found = {}
    for decision in root.iter(f"{{{etree.QName(root).namespace}}}decision"):
        table = next((c for c in decision if isinstance(c.tag, str) and local_name(c) == "decisionTable"), None)
        columns, rules = {}, {}
        if table is not None:
            heads = [c for c in table if isinstance(c.tag, str) and local_name(c) in ("input", "output")]
            for number, column in enumerate(heads, start=1):
                expression = " ".join(_text(t) or "" for t in column.iter() if local_name(t) == "text")
                columns[str(number)] = f"{local_name(column)} {column.get('label') or column.get('name') or ''} " \
                                       f"{expression}".strip()
            for row, rule in enumerate((c for c in table if isinstance(c.tag, str) and local_name(c) == "rule"), 1):
                cells = [_text(t) or "-" for entry in rule if isinstance(entry.tag, str)
                         and local_name(entry) in ("inputEntry", "outputEntry")
                         for t in entry if isinstance(t.tag, str) and local_name(t) == "text"]
                rules[str(row)] = " | ".join(cells)
        found[decision.get("id")] = {
            "type": "decision", "name": decision.get("name") or "", "process": decision.get("id"),
            "file": file_name,
            "attributes": {k: v for k, v in (table.attrib.items() if table is not None else ()) if k != "id"},
            "columns": columns, "rules": rules}
    return found


# Fingerprint parts compared key by key, so a page can say "dueDate: 15 → 10" rather than "properties changed".
_KEYED = ("attributes", "properties", "timer", "columns", "rules")
_COMPARED = ("type", "name", "lane", "incoming", "outgoing", "events", "condition", "script", "loop", "extensions")


def element_changes(old: dict, new: dict) -> dict:
    """{what: {"from": old value, "to": new value}} for one element; keyed parts as "properties.dueDate"."""
    changes = {}
    for key in _COMPARED:
        if old.get(key) != new.get(key):
            changes[key] = {"from": old.get(key), "to": new.get(key)}
    for key in _KEYED:
        before, after = old.get(key) or {}, new.get(key) or {}
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                changes[f"{key}.{name}"] = {"from": before.get(name), "to": after.get(name)}
    return changes


def _summary(element_id, fingerprint):
    return {"id": element_id, "type": fingerprint["type"], "name": fingerprint["name"],
            "process": fingerprint["process"], "file": fingerprint["file"]}


def compare(old_files: dict, new_files: dict) -> dict:
    """Elements added, removed and changed from one set of BPMN files ({name: bytes}) to another.

    Returns {"added": [...], "removed": [...], "changed": [...], "markers": {id: "added"|"removed"|"changed"}};
    each entry has id, type, name, process and file, and a changed one its `changes` (element_changes).
    """
    old, new = {}, {}
    for files, into in ((old_files, old), (new_files, new)):
        for name, content in sorted(files.items()):
            into.update(elements(content, name))
    added = [_summary(i, new[i]) for i in new if i not in old]
    removed = [_summary(i, old[i]) for i in old if i not in new]
    changed = []
    for element_id in (i for i in new if i in old):
        changes = element_changes(old[element_id], new[element_id])
        if changes:
            changed.append({**_summary(element_id, new[element_id]), "changes": changes})
    markers = {e["id"]: "added" for e in added}
    markers.update({e["id"]: "removed" for e in removed})
    markers.update({e["id"]: "changed" for e in changed})
    return {"added": added, "removed": removed, "changed": changed, "markers": markers}
