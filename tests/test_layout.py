"""Automatic layout of diagrams written without BPMN DI: every element drawn, lanes respected, nothing
overlapping, edges around the shapes, the rest of the file unchanged, and the result still valid."""
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.layout import BPMNDI_NS, DC_NS, DI_NS, add_layout, layout_source
from engine.bpmn.parser import BPMN_NS
from engine.bpmn.validation import validate
from engine.deployment import deployed_sources, read_files

from .conftest import BPMN_DIR
from .steps import command_output

PRODUCT_DIR = Path(__file__).parent.parent / "bpmn"
LIFECYCLE = ["county_annual_cycle", "provincial_procurement", "station_service", "station_report",
             "station_emergency", "performance_evaluation", "emergency_inbound", "procurement_challenge",
             "procurement_complaint"]
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
_FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
               "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "task",
               "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
               "businessRuleTask", "callActivity", "subProcess")

# Two pools (one a black box), nested lanes, a collapsed subprocess with its own content, a data object
# with data associations, an annotation, a message flow, a loop and a boundary event.
SYNTHETIC = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://example.org/x">
  <collaboration id="collab">
    <participant id="pool_office" name="Office" processRef="office" />
    <participant id="pool_citizen" name="Citizen" />
    <messageFlow id="mf_request" sourceRef="pool_citizen" targetRef="receive" />
    <messageFlow id="mf_reply" sourceRef="reply" targetRef="pool_citizen" />
  </collaboration>
  <process id="office" isExecutable="false">
    <laneSet id="ls">
      <lane id="lane_front" name="Front desk">
        <childLaneSet id="cls">
          <lane id="lane_clerk" name="Clerk"><flowNodeRef>receive</flowNodeRef><flowNodeRef>check</flowNodeRef></lane>
          <lane id="lane_senior" name="Senior"><flowNodeRef>decide</flowNodeRef><flowNodeRef>late</flowNodeRef></lane>
        </childLaneSet>
      </lane>
      <lane id="lane_back" name="Back office"><flowNodeRef>archive</flowNodeRef><flowNodeRef>reply</flowNodeRef></lane>
    </laneSet>
    <startEvent id="start" name="Request in" />
    <receiveTask id="receive" name="Receive" />
    <task id="check" name="Check">
      <dataOutputAssociation id="doa"><targetRef>file_ref</targetRef></dataOutputAssociation>
    </task>
    <exclusiveGateway id="decide" name="Complete?" default="f_yes" />
    <boundaryEvent id="late" name="Too late" attachedToRef="check"><timerEventDefinition /></boundaryEvent>
    <subProcess id="archive" name="Archive">
      <startEvent id="a_start" />
      <task id="a_store" name="Store" />
      <endEvent id="a_end" />
      <sequenceFlow id="a1" sourceRef="a_start" targetRef="a_store" />
      <sequenceFlow id="a2" sourceRef="a_store" targetRef="a_end" />
    </subProcess>
    <sendTask id="reply" name="Reply" />
    <endEvent id="done" name="Done" />
    <endEvent id="gave_up" />
    <dataObjectReference id="file_ref" name="File" dataObjectRef="file" />
    <dataObject id="file" />
    <textAnnotation id="note"><text>Checked within a day</text></textAnnotation>
    <association id="assoc" sourceRef="check" targetRef="note" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="receive" />
    <sequenceFlow id="f2" sourceRef="receive" targetRef="check" />
    <sequenceFlow id="f3" sourceRef="check" targetRef="decide" />
    <sequenceFlow id="f_yes" name="yes" sourceRef="decide" targetRef="archive" />
    <sequenceFlow id="f_no" name="no" sourceRef="decide" targetRef="check" />
    <sequenceFlow id="f4" sourceRef="archive" targetRef="reply" />
    <sequenceFlow id="f5" sourceRef="reply" targetRef="done" />
    <sequenceFlow id="f_late" sourceRef="late" targetRef="gave_up" />
  </process>
</definitions>
"""


def _without_di(content):
    """The same diagram as its author wrote it, before any layout."""
    root = etree.fromstring(content)
    for diagram in root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        root.remove(diagram)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _hand_written(name):
    return _without_di((PRODUCT_DIR / f"{name}.bpmn").read_bytes())


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _drawing(content):
    """(root, {element id: bounds}, {element id: waypoints}, {element id: shape attributes}) of the first plane."""
    root = etree.fromstring(content)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement"): _bounds(s) for s in plane.findall("bpmndi:BPMNShape", NS)}
    attributes = {s.get("bpmnElement"): dict(s.attrib) for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): [(float(w.get("x")), float(w.get("y"))) for w in e.findall("di:waypoint", NS)]
             for e in plane.findall("bpmndi:BPMNEdge", NS)}
    return root, shapes, edges, attributes


def _flow_nodes(container):
    return [c for c in container if isinstance(c.tag, str) and etree.QName(c).localname in _FLOW_NODES]


def _inside(inner, outer):
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _crosses(segment, box):
    """Whether an axis-parallel segment runs through the inside of a box."""
    (x1, y1), (x2, y2) = segment
    x, y, w, h = box
    if y1 == y2:
        return y < y1 < y + h and min(x1, x2) < x + w and max(x1, x2) > x
    return x < x1 < x + w and min(y1, y2) < y + h and max(y1, y2) > y


@pytest.mark.parametrize("name", LIFECYCLE)
def test_every_flow_node_lane_and_flow_is_drawn(name):
    root, shapes, edges, attributes = _drawing(layout_source(_hand_written(name), f"{name}.bpmn"))
    process = root.find("bpmn:process", NS)
    for node in _flow_nodes(process):
        assert node.get("id") in shapes, f"{node.get('id')} has no shape"
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        assert attributes[lane.get("id")]["isHorizontal"] == "true"
    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", NS):
        assert participant.get("id") in shapes
    for flow in process.findall("bpmn:sequenceFlow", NS):
        points = edges[flow.get("id")]
        assert len(points) >= 2
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:])), f"{flow.get('id')} not orthogonal"
        for end, ref in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
            x, y, w, h = shapes[ref]
            on_border = (x <= end[0] <= x + w and end[1] in (y, y + h)) or (y <= end[1] <= y + h and end[0] in (x, x + w))
            assert on_border, f"{flow.get('id')} does not start or end on the border of {ref}"
    for event in process.findall("bpmn:boundaryEvent", NS):
        x, y, w, h = shapes[event.get("id")]
        hx, hy, hw, hh = shapes[event.get("attachedToRef")]
        assert y + h / 2 == hy + hh and hx - w / 2 <= x + w / 2 <= hx + hw + w / 2, "not on its host's bottom border"
    for node in _flow_nodes(process):
        if etree.QName(node).localname in ("startEvent", "endEvent", "exclusiveGateway") and node.get("name"):
            label = root.find(f".//bpmndi:BPMNShape[@bpmnElement='{node.get('id')}']/bpmndi:BPMNLabel/dc:Bounds", NS)
            assert float(label.get("y")) > shapes[node.get("id")][1], f"label of {node.get('id')} is not under it"


@pytest.mark.parametrize("name", LIFECYCLE)
def test_nodes_lie_in_their_lane_and_shapes_do_not_overlap(name):
    root, shapes, _edges, _attributes = _drawing(layout_source(_hand_written(name), f"{name}.bpmn"))
    process = root.find("bpmn:process", NS)
    lanes = list(process.iter(f"{{{BPMN_NS}}}lane"))
    host = {b.get("id"): b.get("attachedToRef") for b in process.findall("bpmn:boundaryEvent", NS)}
    for lane in lanes:
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            if ref.text.strip() in host:
                continue  # drawn on its host, whichever lane lists it
            assert _inside(shapes[ref.text.strip()], shapes[lane.get("id")]), f"{ref.text} outside {lane.get('name')}"
    laned = {ref.text.strip() for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
    for node in _flow_nodes(process):  # the others sit below the lanes, in no lane's band
        if node.get("id") not in laned and etree.QName(node).localname != "boundaryEvent":
            assert all(not _overlap(shapes[node.get("id")], shapes[lane.get("id")]) for lane in lanes)
    nodes = [n.get("id") for n in _flow_nodes(process)]
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if host.get(a) != b and host.get(b) != a:
                assert not _overlap(shapes[a], shapes[b]), f"{a} overlaps {b}"


@pytest.mark.parametrize("name", LIFECYCLE)
def test_edges_go_around_shapes_and_loops_run_backwards(name):
    root, shapes, edges, _attributes = _drawing(layout_source(_hand_written(name), f"{name}.bpmn"))
    process = root.find("bpmn:process", NS)
    nodes = [n.get("id") for n in _flow_nodes(process)]
    for flow in process.findall("bpmn:sequenceFlow", NS):
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        points = edges[flow.get("id")]
        for node in nodes:
            if node not in ends:
                assert not any(_crosses(s, shapes[node]) for s in zip(points, points[1:])), \
                    f"{flow.get('id')} runs through {node}"
    if name == "station_emergency":  # 退回: the review sends the response back to be done again
        x_source = shapes["emergency_decision"][0]
        x_target = shapes["respond_emergency"][0]
        assert x_target < x_source and edges["e_again"][-1][0] < edges["e_again"][0][0]


def test_the_rest_of_the_file_is_kept_byte_for_byte():
    original = _hand_written("station_emergency")
    laid_out = layout_source(original, "station_emergency.bpmn")
    declarations = (b' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
                    b' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"')
    assert declarations in laid_out.split(b"\n", 2)[1]
    start, end = laid_out.index(b"  <bpmndi:BPMNDiagram"), laid_out.rindex(b"</bpmn:definitions>")
    assert laid_out[:start].replace(declarations, b"") + laid_out[end:] == original
    assert layout_source(laid_out, "station_emergency.bpmn") == laid_out  # a second run changes nothing


@pytest.mark.parametrize("path", [BPMN_DIR / "county_review.bpmn", BPMN_DIR / "foreign" / "bpmnio_service_record.bpmn",
                                  BPMN_DIR / "foreign" / "camunda_report_review.bpmn"])
def test_a_diagram_with_di_is_left_unchanged(path):
    content = path.read_bytes()
    assert layout_source(content, path.name) == content
    root = etree.fromstring(content)
    assert add_layout(root) == 0


@pytest.mark.django_db
def test_the_lifecycle_diagrams_validate_after_layout():
    bpmn, forms = read_files([PRODUCT_DIR / f"{name}.bpmn" for name in LIFECYCLE])
    laid_out = {name: layout_source(_without_di(content), name) for name, content in bpmn.items()}
    assert all(b"bpmndi:BPMNShape" in content for name, content in laid_out.items() if name.endswith(".bpmn"))
    bundle = validate(laid_out, forms, deployed_sources)  # raises InvalidDefinition with file:line problems
    assert sorted(bundle.executable) == sorted(LIFECYCLE)


def test_pools_nested_lanes_subprocess_artifacts_and_message_flows():
    root = etree.fromstring(SYNTHETIC)
    assert add_layout(root) == 2  # the collaboration, and the inside of the collapsed subprocess
    planes = {p.get("bpmnElement"): p for p in root.iter(f"{{{BPMNDI_NS}}}BPMNPlane")}
    assert set(planes) == {"collab", "archive"}
    main = {s.get("bpmnElement"): s for s in planes["collab"].findall("bpmndi:BPMNShape", NS)}
    bounds = {key: _bounds(shape) for key, shape in main.items()}
    for element in ("pool_office", "pool_citizen", "lane_front", "lane_clerk", "lane_senior", "lane_back",
                    "start", "receive", "check", "decide", "late", "archive", "reply", "done", "gave_up",
                    "file_ref", "note"):
        assert element in bounds, element
    assert _inside(bounds["lane_clerk"], bounds["lane_front"]) and _inside(bounds["lane_front"], bounds["pool_office"])
    assert bounds["lane_clerk"][0] > bounds["lane_front"][0]  # the nested lane's name strip is inside its parent's
    assert _inside(bounds["decide"], bounds["lane_senior"]) and _inside(bounds["reply"], bounds["lane_back"])
    assert not _overlap(bounds["pool_office"], bounds["pool_citizen"])
    assert main["archive"].get("isExpanded") == "false"
    assert main["decide"].get("isMarkerVisible") == "true"
    edge_ids = {e.get("bpmnElement") for e in planes["collab"].findall("bpmndi:BPMNEdge", NS)}
    assert {"f1", "f2", "f3", "f_yes", "f_no", "f4", "f5", "f_late", "mf_request", "mf_reply", "doa", "assoc"} <= edge_ids
    inner = {s.get("bpmnElement") for s in planes["archive"].findall("bpmndi:BPMNShape", NS)}
    assert inner == {"a_start", "a_store", "a_end"}
    # the default flow leaves forwards, the flow back to the check runs backwards
    waypoints = {e.get("bpmnElement"): [float(w.get("x")) for w in e.findall("di:waypoint", NS)]
                 for e in planes["collab"].findall("bpmndi:BPMNEdge", NS)}
    assert waypoints["f_no"][-1] < waypoints["f_no"][0] and waypoints["f_yes"][-1] > waypoints["f_yes"][0]
    # the same as text, in a file whose BPMN elements have no prefix
    text = layout_source(SYNTHETIC, "synthetic.bpmn")
    assert text.startswith(SYNTHETIC.split(b"<collaboration")[0].replace(
        b'targetNamespace="http://example.org/x"', b'targetNamespace="http://example.org/x"'
        b' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
        b' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'))
    assert text.endswith(b"  </bpmndi:BPMNDiagram>\n</definitions>\n")
    assert len(etree.fromstring(text).findall("bpmndi:BPMNDiagram", NS)) == 2


def test_cli_prints_or_writes(tmp_path):
    path = tmp_path / "station_emergency.bpmn"
    path.write_bytes(_hand_written("station_emergency"))
    out = command_output("bpmn", "layout", str(path))
    assert "<bpmndi:BPMNDiagram" in out and b"BPMNDiagram" not in path.read_bytes()
    out = command_output("bpmn", "layout", str(path), "--write")
    assert out.startswith("laid out") and b"<bpmndi:BPMNDiagram" in path.read_bytes()
    assert command_output("bpmn", "layout", str(path), "--write").startswith("unchanged")
