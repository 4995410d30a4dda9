"""Reading deployed BPMN files as people see them: which file holds a process, lanes named by role,
and where on the drawn diagram a validation problem belongs."""
from lxml import etree

from .parser import BPMN_NS, NSMAP
from .safe_xml import UnsafeXml, parse

_LANE = f"{{{BPMN_NS}}}lane"


def main_file(key, bpmn_files):
    """The name of the BPMN file ({name: text}) that holds process `key` (the others hold what it calls)."""
    for name, content in bpmn_files.items():
        try:
            root = parse(content.encode("utf-8"), name)
        except UnsafeXml:
            continue
        if root.xpath("bpmn:process[@id=$key]", key=key, namespaces=NSMAP):
            return name
    return next(iter(bpmn_files))


def with_lane_labels(content, labels):
    """The diagram (text) with each lane named by a role code shown by its label (`labels`: {code: label})."""
    root = parse(content.encode("utf-8"), "diagram")
    for lane in root.iter(_LANE):
        label = labels.get(lane.get("name", "").strip())
        if label:
            lane.set("name", str(label))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def located_on_diagram(problems, file_name, content):
    """Problems as dicts whose `element` is a shape the diagram (`content`, text) draws.

    A problem inside an element (a timer's event definition, a schema error known only by
    its line) is put on the nearest enclosing element that has a shape or edge.
    """
    try:
        root = parse(content.encode("utf-8"), file_name)
    except UnsafeXml:
        root = None
    drawn = set(root.xpath("//@bpmnElement")) if root is not None else set()
    found = []
    for problem in problems:
        item = problem.as_dict()
        if root is not None and problem.file == file_name:
            start = _by_id(root, item["element"]) if item["element"] else None
            if start is None and item["line"]:
                start = _at_line(root, item["line"])
            drawn_id = _drawn_ancestor(start, drawn) if start is not None else None
            item["element"] = drawn_id or item["element"]
        found.append(item)
    return found


def _by_id(root, element_id):
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _at_line(root, line):
    """The last element starting on or before `line`; a shape stands for the element it draws."""
    best = None
    for element in root.iter(etree.Element):
        if element.sourceline is not None and element.sourceline <= line:
            best = element
    if best is not None and best.get("bpmnElement"):
        return _by_id(root, best.get("bpmnElement"))
    return best


def _drawn_ancestor(element, drawn):
    node = element
    while node is not None:
        if node.get("id") in drawn:
            return node.get("id")
        node = node.getparent()
    return None
