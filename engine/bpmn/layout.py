"""Automatic diagram layout for BPMN files written without diagram interchange (BPMN DI).

A diagram without `bpmndi:BPMNDiagram` runs, but a modeler cannot draw it. This module adds
the drawing: left to right in layers (a node's column is its longest path from the start
events, loops ignored, so a return-for-revision flow runs backwards), one horizontal band per
lane sized to its content, standard shape sizes, boundary events on their host's bottom
border, and orthogonal edges routed around the shapes. Processes that already have DI are
left alone; `layout_source` keeps the rest of the file byte for byte.
"""
import heapq
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

from lxml import etree

from .parser import bpmn_tag, local_name
from .safe_xml import parse_or_refuse

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
_DI_PREFIXES = {BPMNDI_NS: "bpmndi", DC_NS: "dc", DI_NS: "di"}

_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
_SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
_ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
               "businessRuleTask", "callActivity"} | _SUBPROCESSES
_FLOW_NODES = _EVENTS | _GATEWAYS | _ACTIVITIES
_ARTIFACT_SIZES = {"dataObjectReference": (36, 50), "dataStoreReference": (50, 50), "textAnnotation": (100, 30)}

COLUMN_WIDTH = 160  # a task is 100 wide: 60 between neighbouring columns for edges and labels
ROW_HEIGHT = 140  # a task is 80 high: room below it for boundary events and their labels
ARTIFACT_ROW_HEIGHT = 80  # data objects and annotations sit in a row at the top of their band
HEADER = 30  # the name strip of a pool or a lane
PADDING = 20
POOL_GAP = 40
LABEL_WIDTH = 90
LINE_HEIGHT = 14


def _children(element, name):
    return element.findall(bpmn_tag(name))


def _size(kind):
    if kind in _EVENTS:
        return 36, 36
    if kind in _GATEWAYS:
        return 50, 50
    return _ARTIFACT_SIZES.get(kind, (100, 80))


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def around(cls, cx, cy, w, h):
        return cls(cx - w / 2, cy - h / 2, w, h)

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    @property
    def right(self):
        return self.x + self.w

    @property
    def bottom(self):
        return self.y + self.h

    def contains(self, x, y):
        return self.x <= x <= self.right and self.y <= y <= self.bottom


def _text_width(text):
    # 11px font: a CJK character is about 11px wide, a latin one about 7px; a little room so none wraps early.
    return sum(11 if ord(ch) > 0x2E80 else 7 for ch in text) + 6


def _label_size(name):
    """(width, height) of a label: at most LABEL_WIDTH wide, wrapped onto as many lines as it needs."""
    width = _text_width(name)
    return min(width, LABEL_WIDTH), max(1, math.ceil(width / LABEL_WIDTH)) * LINE_HEIGHT


def _label_below(name, box):
    """The label box of an external label (event, gateway, data object) centred under its shape."""
    width, height = _label_size(name)
    return Box(box.cx - width / 2, box.bottom + 5, width, height)


def _label_beside(name, box, left):
    """The label of a boundary event: below its host, beside the event, clear of the flow leaving downwards."""
    width, height = _label_size(name)
    return Box(box.x - width if left else box.right, box.bottom - 4, width, height)


@dataclass
class _Plane:
    """What one BPMNPlane draws: shapes in drawing order, connections to route, routing channels."""

    shapes: list = field(default_factory=list)  # (element, Box, extra DI attributes, label Box or None)
    boxes: dict = field(default_factory=dict)  # element id -> Box, for every shape
    kinds: dict = field(default_factory=dict)  # element id -> local name of its element
    obstacles: set = field(default_factory=set)  # ids of the shapes edges must go around
    labels: list = field(default_factory=list)  # label boxes edges had better not cross
    connections: list = field(default_factory=list)  # (edge id, source id, target id, name)
    xs: set = field(default_factory=set)  # vertical channels edges may run along
    ys: set = field(default_factory=set)  # horizontal channels

    def add(self, element, box, label=None, obstacle=True, **attributes):
        self.shapes.append((element, box, attributes, label))
        self.boxes[element.get("id")] = box
        self.kinds[element.get("id")] = local_name(element)
        if obstacle:
            self.obstacles.add(element.get("id"))
        if label:
            self.labels.append(label)


@dataclass
class _Bands:
    """The lanes of a container as horizontal bands: leaf lanes in document order, parents spanning them."""

    lanes: list  # (lane element, depth, first leaf band, last leaf band)
    band_count: int
    band_of: dict  # flow node id -> band index
    depth: int  # nesting depth of lanes, 0 without lanes


def _bands(container, node_ids):
    lanes, leaves = [], 0

    def walk(parent, set_name, depth):
        nonlocal leaves
        for lane_set in _children(parent, set_name):
            for lane in _children(lane_set, "lane"):
                entry = [lane, depth, leaves, None]
                lanes.append(entry)
                child_sets = [s for s in _children(lane, "childLaneSet") if _children(s, "lane")]
                if child_sets:
                    walk(lane, "childLaneSet", depth + 1)
                else:
                    leaves += 1
                entry[3] = leaves - 1

    walk(container, "laneSet", 0)
    band_of = {}
    for lane, _depth, first, _last in lanes:  # parents come first: an inner lane's assignment wins
        for ref in _children(lane, "flowNodeRef"):
            if (ref.text or "").strip() in node_ids:
                band_of[ref.text.strip()] = first
    unlaned = [n for n in node_ids if n not in band_of]
    band_count = leaves + (1 if unlaned or not lanes else 0)
    for node_id in unlaned:  # flow nodes in no lane share one band below the lanes
        band_of[node_id] = band_count - 1
    depth = max((d for _l, d, _f, _t in lanes), default=-1) + 1
    return _Bands([tuple(entry) for entry in lanes], band_count, band_of, depth)


def _ranks(node_ids, edges, starts, after_all):
    """Column of every node: longest path from the start events over the graph without its back edges."""
    successors = defaultdict(list)
    has_incoming = set()
    for source, target in edges:
        successors[source].append(target)
        has_incoming.add(target)
    roots = ([n for n in node_ids if n in starts] + [n for n in node_ids if n not in has_incoming]
             + list(node_ids))
    state, forward = {}, []
    for root in roots:  # depth-first search: an edge back to a node on the stack closes a loop
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, pending = stack[-1]
            target = next(pending, None)
            if target is None:
                state[node] = 2
                stack.pop()
            elif target not in state:
                forward.append((node, target))
                state[target] = 1
                stack.append((target, iter(successors[target])))
            elif state[target] == 2:
                forward.append((node, target))
    incoming = defaultdict(int)
    forward_successors = defaultdict(list)
    for source, target in forward:
        incoming[target] += 1
        forward_successors[source].append(target)
    rank = {n: 0 for n in node_ids}
    ready = [n for n in node_ids if incoming[n] == 0]
    while ready:
        node = ready.pop()
        for target in forward_successors[node]:
            rank[target] = max(rank[target], rank[node] + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    last = max(rank.values(), default=-1)
    for node_id in after_all:  # event subprocesses: after the flow they can interrupt
        rank[node_id] = last + 1
    return rank, set(forward)


def _data_associations(node):
    """(association, source id, target id) of the data a flow node reads and writes."""
    for association in node:
        kind = local_name(association)
        if kind not in ("dataInputAssociation", "dataOutputAssociation"):
            continue
        refs = {local_name(r): (r.text or "").strip() for r in association
                if local_name(r) in ("sourceRef", "targetRef")}
        if kind == "dataInputAssociation" and refs.get("sourceRef"):
            yield association, refs["sourceRef"], node.get("id")
        elif kind == "dataOutputAssociation" and refs.get("targetRef"):
            yield association, node.get("id"), refs["targetRef"]


class _Container:
    """Places the flow nodes, boundary events and artifacts of a process or subprocess."""

    def __init__(self, element):
        self.element = element
        self.nodes = [c for c in element if local_name(c) in _FLOW_NODES and local_name(c) != "boundaryEvent"]
        self.boundaries = [c for c in element if local_name(c) == "boundaryEvent"]
        self.artifacts = [c for c in element if local_name(c) in _ARTIFACT_SIZES]
        self.flows = _children(element, "sequenceFlow")
        node_ids = [n.get("id") for n in self.nodes]
        self.host_of = {b.get("id"): b.get("attachedToRef") for b in self.boundaries
                        if b.get("attachedToRef") in node_ids}
        edges = []
        self.from_boundary = set()
        for flow in self.flows:
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in self.host_of:
                self.from_boundary.add((self.host_of[source], target))
                source = self.host_of[source]
            if source in node_ids and target in node_ids and source != target:
                edges.append((source, target))
        starts = {n.get("id") for n in self.nodes if local_name(n) == "startEvent"}
        after_all = [n.get("id") for n in self.nodes
                     if n.get("triggeredByEvent") == "true" and all(t != n.get("id") for _s, t in edges)]
        self.rank, forward = _ranks(node_ids, edges, starts, after_all)
        self.bands = _bands(element, node_ids)
        self.predecessors = defaultdict(list)
        for source, target in edges:
            if (source, target) in forward:
                self.predecessors[target].append(source)
        self._assign_rows()
        self._assign_artifacts()

    def _assign_rows(self):
        band_of, taken = self.bands.band_of, set()
        order = {n.get("id"): i for i, n in enumerate(self.nodes)}
        main = self._main_path()
        main_bands = {band_of[n] for n in main}
        self.row = {}
        # The main path first: it keeps the top rows, escalation paths off boundary events go below it.
        for node_id in sorted(order, key=lambda n: (self.rank[n], n not in main, order[n])):
            band, column = band_of[node_id], self.rank[node_id]
            # an escalation path entering a band the main path runs through stays off its row, even where the
            # main path is in another lane at that column, so that it does not read as the next step
            row = 1 if node_id not in main and band in main_bands else 0
            for predecessor in self.predecessors[node_id]:
                if predecessor in self.row and band_of[predecessor] == band:
                    # a boundary event's path leads below its host's row
                    row = self.row[predecessor] + ((predecessor, node_id) in self.from_boundary)
                    break
            while (band, column, row) in taken:
                row += 1
            taken.add((band, column, row))
            self.row[node_id] = row
        self.rows = [1] * self.bands.band_count
        for node_id, row in self.row.items():
            band = band_of[node_id]
            self.rows[band] = max(self.rows[band], row + 1)

    def _main_path(self):
        """Nodes reachable from the start events (or, without any, from the sourceless nodes) without
        leaving through a boundary event."""
        successors = defaultdict(list)
        for flow in self.flows:
            successors[flow.get("sourceRef")].append(flow.get("targetRef"))
        reached = [n.get("id") for n in self.nodes if local_name(n) == "startEvent"] or [
            n.get("id") for n in self.nodes if not self.predecessors[n.get("id")]]
        seen = set(reached)
        while reached:
            for target in successors[reached.pop()]:
                if target not in seen:
                    seen.add(target)
                    reached.append(target)
        return seen

    def _anchor(self, artifact_id):
        """The flow node an artifact is connected to, by an association or a data association."""
        for association in _children(self.element, "association"):
            ends = (association.get("sourceRef"), association.get("targetRef"))
            if artifact_id in ends:
                other = ends[1] if ends[0] == artifact_id else ends[0]
                other = self.host_of.get(other, other)
                if other in self.rank:
                    return other
        for node in self.nodes:
            if any(artifact_id in ends for _a, *ends in _data_associations(node)):
                return node.get("id")
        return None

    def _assign_artifacts(self):
        self.artifact_cell = {}  # artifact id -> (band, column)
        taken = set()
        last = max(self.rank.values(), default=-1)
        for artifact in self.artifacts:
            anchor = self._anchor(artifact.get("id"))
            band, column = (self.bands.band_of[anchor], self.rank[anchor]) if anchor else (0, last + 1)
            while (band, column) in taken:
                column += 1
            taken.add((band, column))
            self.artifact_cell[artifact.get("id")] = (band, column)
        self.columns = max([c + 1 for _b, c in self.artifact_cell.values()] + [last + 1, 1])

    def place(self, plane, left, top, width=None):
        """Add the shapes to `plane` with the bands starting at (left, top); returns the box of the bands."""
        content_left = left + self.bands.depth * HEADER + PADDING
        width = width or self.width()
        band_tops, y = [], top
        artifact_bands = {band for band, _c in self.artifact_cell.values()}
        for band in range(self.bands.band_count):
            band_tops.append(y)
            plane.ys.update((y + 12, y + self._band_height(band, artifact_bands) - 12))
            row_top = y + (ARTIFACT_ROW_HEIGHT if band in artifact_bands else 0)
            # three parallel channels in every gap, so that edges through it need not share one line
            plane.ys.update(row_top + k * ROW_HEIGHT + d for k in range(1, self.rows[band]) for d in (-12, 0, 12))
            y += self._band_height(band, artifact_bands)
        plane.xs.update(content_left + k * COLUMN_WIDTH + d for k in range(self.columns + 1) for d in (-14, 0, 14))

        def centre(band, column, row):
            row_top = band_tops[band] + (ARTIFACT_ROW_HEIGHT if band in artifact_bands else 0)
            return content_left + (column + 0.5) * COLUMN_WIDTH, row_top + (row + 0.5) * ROW_HEIGHT

        for node in self.nodes:
            node_id, kind = node.get("id"), local_name(node)
            cx, cy = centre(self.bands.band_of[node_id], self.rank[node_id], self.row[node_id])
            box = Box.around(cx, cy, *_size(kind))
            attributes = {}
            if kind in _SUBPROCESSES:
                attributes["isExpanded"] = "false"
            elif kind == "exclusiveGateway":
                attributes["isMarkerVisible"] = "true"
            attached = [b for b in self.boundaries if b.get("attachedToRef") == node_id]
            if len(attached) > 3:  # wide enough for its boundary events side by side
                box = Box.around(cx, cy, 40 * len(attached), box.h)
            label = _label_below(node.get("name"), box) if node.get("name") and kind not in _ACTIVITIES else None
            plane.add(node, box, label, **attributes)
        self._place_boundaries(plane)
        for artifact in self.artifacts:
            band, column = self.artifact_cell[artifact.get("id")]
            cx = content_left + (column + 0.5) * COLUMN_WIDTH
            box = self._artifact_box(artifact, cx, band_tops[band])
            name = artifact.get("name")
            plane.add(artifact, box, _label_below(name, box) if name else None)
        self._connect(plane)
        for lane, depth, first, last in self.bands.lanes:
            bottom = band_tops[last] + self._band_height(last, artifact_bands)
            lane_left = left + depth * HEADER
            plane.add(lane, Box(lane_left, band_tops[first], left + width - lane_left, bottom - band_tops[first]),
                      obstacle=False, isHorizontal="true")
        return Box(left, top, width, y - top)

    def width(self):
        """Width of the bands: lane name strips, padding and the columns."""
        return self.bands.depth * HEADER + 2 * PADDING + self.columns * COLUMN_WIDTH

    def _band_height(self, band, artifact_bands):
        return (ARTIFACT_ROW_HEIGHT if band in artifact_bands else 0) + self.rows[band] * ROW_HEIGHT

    def _artifact_box(self, artifact, cx, band_top):
        w, h = _size(local_name(artifact))
        if local_name(artifact) == "textAnnotation":
            text = "".join(t.text or "" for t in _children(artifact, "text"))
            h = max(30, LINE_HEIGHT * math.ceil(_text_width(text) / 90) + 6)
            h = min(h, ARTIFACT_ROW_HEIGHT - 10)
        return Box(cx - w / 2, band_top + 8, w, h)

    def _place_boundaries(self, plane):
        by_host = defaultdict(list)
        for boundary in self.boundaries:
            if boundary.get("attachedToRef") in plane.boxes:
                by_host[boundary.get("attachedToRef")].append(boundary)
        for host_id, attached in by_host.items():
            host = plane.boxes[host_id]
            for i, boundary in enumerate(attached):
                cx = host.cx + (i - (len(attached) - 1) / 2) * 40 + (15 if len(attached) == 1 else 0)
                box = Box.around(cx, host.bottom, 36, 36)
                name = boundary.get("name")
                plane.add(boundary, box, _label_beside(name, box, left=i == 0) if name else None)
                plane.xs.add(box.cx)
                plane.ys.add(box.bottom)

    def _connect(self, plane):
        for flow in self.flows:
            plane.connections.append((flow.get("id"), flow.get("sourceRef"), flow.get("targetRef"),
                                      flow.get("name")))
        for association in _children(self.element, "association"):
            plane.connections.append((association.get("id"), association.get("sourceRef"),
                                      association.get("targetRef"), None))
        for node in self.nodes:
            for association, source, target in _data_associations(node):
                plane.connections.append((association.get("id"), source, target, None))


class _Router:
    """Orthogonal routes along the channels between shapes (A* over a grid of channel lines)."""

    BEND = 60
    THROUGH_SHAPE = 100_000  # "where avoidable": only when no other way exists
    NEAR_SHAPE = 400  # running along a shape's border or its boundary events
    SHARED = 2, 40  # per unit of length and per grid step shared with an unrelated edge
    AGAINST = 1  # per unit of length run against the edge's overall direction (no overshooting)

    def __init__(self, plane):
        self.boxes = plane.boxes
        xs, ys = set(plane.xs), set(plane.ys)
        for shape_id in plane.obstacles:  # not pools and lanes: their centres are no channels
            xs.add(plane.boxes[shape_id].cx)
            ys.add(plane.boxes[shape_id].cy)
        self.xs = sorted(round(x, 1) for x in xs)
        self.ys = sorted(round(y, 1) for y in ys)
        self.hits = defaultdict(dict)  # step -> {shape id: True when through its inside}
        for shape_id in plane.obstacles:
            box = plane.boxes[shape_id]
            self._mark(shape_id, box, 6, False)
            self._mark(shape_id, box, -1, True)
        for n, label in enumerate(plane.labels):  # not exempt for its own shape's edges either
            self._mark(("label", n), label, 0, False)
        self.used = defaultdict(set)  # step -> {(source, target)} of the edges along it

    def _mark(self, shape_id, box, margin, inside):
        x0, x1, y0, y1 = box.x - margin, box.right + margin, box.y - margin, box.bottom + margin
        xs, ys = self.xs, self.ys
        for j in range(bisect_right(ys, y0), bisect_left(ys, y1)):
            for i in range(max(bisect_right(xs, x0) - 1, 0), min(bisect_left(xs, x1), len(xs) - 1)):
                self.hits[("h", i, j)][shape_id] = inside
        for i in range(bisect_right(xs, x0), bisect_left(xs, x1)):
            for j in range(max(bisect_right(ys, y0) - 1, 0), min(bisect_left(ys, y1), len(ys) - 1)):
                self.hits[("v", i, j)][shape_id] = inside

    def route(self, source_id, target_id, start, end):
        exempt = {source_id, target_id}
        key = (source_id, target_id)
        xs, ys = self.xs, self.ys
        goal = (xs.index(round(end[0], 1)), ys.index(round(end[1], 1)))
        against = 1 if end[0] < start[0] else -1  # the x direction that leads away from the target
        origin = (xs.index(round(start[0], 1)), ys.index(round(start[1], 1)))

        def estimate(i, j):
            return abs(xs[i] - xs[goal[0]]) + abs(ys[j] - ys[goal[1]])

        best = {(origin, None): 0}
        came = {}
        queue = [(estimate(*origin), 0, origin, None)]
        while queue:
            _f, cost, point, direction = heapq.heappop(queue)
            if point == goal:
                break
            if cost > best.get((point, direction), math.inf):
                continue
            i, j = point
            for di, dj, step in ((1, 0, ("h", i, j)), (-1, 0, ("h", i - 1, j)),
                                 (0, 1, ("v", i, j)), (0, -1, ("v", i, j - 1))):
                ni, nj = i + di, j + dj
                if not (0 <= ni < len(xs) and 0 <= nj < len(ys)):
                    continue
                length = abs(xs[ni] - xs[i]) + abs(ys[nj] - ys[j])
                step_cost = length
                for shape_id, inside in self.hits.get(step, {}).items():
                    if shape_id not in exempt:
                        step_cost += self.THROUGH_SHAPE if inside else self.NEAR_SHAPE
                if any(other[0] != source_id and other[1] != target_id for other in self.used.get(step, ())):
                    step_cost += self.SHARED[0] * length + self.SHARED[1]
                if di == against:
                    step_cost += self.AGAINST * length
                if direction is not None and direction != (di, dj):
                    step_cost += self.BEND
                state = ((ni, nj), (di, dj))
                if cost + step_cost < best.get(state, math.inf):
                    best[state] = cost + step_cost
                    came[state] = (point, direction)
                    heapq.heappush(queue, (cost + step_cost + estimate(ni, nj), cost + step_cost, (ni, nj), (di, dj)))
        else:  # the grid is connected, so this is only a guard
            return _simplify([start, (end[0], start[1]), end])
        points, state = [], (goal, direction)
        while state[1] is not None:
            point, previous = came[state]
            points.append(state[0])
            a, b = point, state[0]
            step = ("h", min(a[0], b[0]), a[1]) if a[1] == b[1] else ("v", a[0], min(a[1], b[1]))
            self.used[step].add(key)
            state = (point, previous)
        points.append(origin)
        return _simplify([(xs[i], ys[j]) for i, j in reversed(points)])


def _simplify(points):
    result = []
    for point in points:
        if len(result) >= 2 and (result[-2][0] == result[-1][0] == point[0] or result[-2][1] == result[-1][1] == point[1]):
            result[-1] = point
        elif not result or result[-1] != point:
            result.append(point)
    return result


def _clip(points, box):
    """Start the route where it leaves `box` rather than at its centre."""
    i = 0
    while i + 1 < len(points) and box.contains(*points[i + 1]):
        i += 1
    if i + 1 >= len(points):
        return points
    (x1, y1), (x2, y2) = points[i], points[i + 1]
    if y1 == y2:
        border = (box.right if x2 > x1 else box.x, y1)
    else:
        border = (x1, box.bottom if y2 > y1 else box.y)
    return [border] + points[i + 1:]


def _port(box, other, kind):
    """Where a connection attaches: a shape's centre, a boundary event's bottom (its host is above it),
    or a pool's border facing the other end."""
    if kind == "boundaryEvent":
        return box.cx, box.bottom
    if kind != "participant":
        return box.cx, box.cy
    x = min(max(other.cx, box.x + HEADER + 10), box.right - 10)
    return x, (box.y if other.cy < box.y else box.bottom)


def _edges(plane):
    """(edge id, waypoints, label box) of every connection whose both ends have shapes."""
    connections = [(edge_id, s, t, name) for edge_id, s, t, name in plane.connections
                   if edge_id and s in plane.boxes and t in plane.boxes and s != t]
    ports = {}
    for edge_id, source, target, _name in connections:
        source_box, target_box = plane.boxes[source], plane.boxes[target]
        ports[edge_id] = (_port(source_box, target_box, plane.kinds[source]),
                          _port(target_box, source_box, plane.kinds[target]))
        for x, y in ports[edge_id]:
            plane.xs.add(x)
            plane.ys.add(y)
    router = _Router(plane)
    # Short connections first: they get the direct channels, long ones go around.
    connections.sort(key=lambda c: abs(plane.boxes[c[1]].cx - plane.boxes[c[2]].cx)
                     + abs(plane.boxes[c[1]].cy - plane.boxes[c[2]].cy))
    edges = []
    for edge_id, source, target, name in connections:
        start, end = ports[edge_id]
        points = router.route(source, target, start, end)
        if plane.kinds[source] != "participant":
            points = _clip(points, plane.boxes[source])
        if plane.kinds[target] != "participant":
            points = list(reversed(_clip(list(reversed(points)), plane.boxes[target])))
        label = _flow_label(name, points, plane) if name else None
        if label:
            plane.labels.append(label)
        edges.append((edge_id, points, label))
    return edges


def _flow_label(name, points, plane):
    """Above (else below) the first horizontal segment, next to its start, where it covers no other label or
    shape and crosses no lane border (a gateway's own label is under the gateway); else above the first."""
    width, height = _label_size(name)
    candidates = []
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        if y1 == y2:
            x = x1 + 6 if x2 > x1 else x1 - 6 - width
            candidates += [Box(x, y1 - height - 2, width, height), Box(x, y1 + 2, width, height)]
    if not candidates:
        (x1, y1), (x2, y2) = points[0], points[1]
        return Box(x1 + 6, (y1 + y2) / 2 - height / 2, width, height)
    borders = [(box, (box.y, box.bottom)) for element, box, _a, _l in plane.shapes
               if local_name(element) in ("lane", "participant")]
    shapes = [plane.boxes[i] for i in plane.obstacles]

    def clear(label):
        return (not any(_overlaps(label, other) for other in plane.labels + shapes)
                and not any(label.y < y < label.bottom and label.x < box.right and box.x < label.right
                            for box, ys in borders for y in ys))

    return next((label for label in candidates if clear(label)), candidates[0])


def _overlaps(a, b):
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _number(value):
    return str(int(round(value)))


def _bounds(parent, box):
    etree.SubElement(parent, f"{{{DC_NS}}}Bounds", x=_number(box.x), y=_number(box.y),
                     width=_number(box.w), height=_number(box.h))


class _Ids:
    """DI ids: `<element id>_di` as bpmn-js names them, unique in the file."""

    def __init__(self, root):
        self.taken = set(root.xpath("//@id"))

    def __call__(self, wanted):
        candidate, n = wanted, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{wanted}_{n}"
        self.taken.add(candidate)
        return candidate


def _diagram(plane, element_id, ids):
    diagram = etree.Element(f"{{{BPMNDI_NS}}}BPMNDiagram", nsmap={v: k for k, v in _DI_PREFIXES.items()},
                            id=ids(f"BPMNDiagram_{element_id}"))
    plane_element = etree.SubElement(diagram, f"{{{BPMNDI_NS}}}BPMNPlane", id=ids(f"BPMNPlane_{element_id}"),
                                     bpmnElement=element_id)
    # Pools first, then lanes, so that the shapes inside are drawn on top of them.
    layers = {"participant": 0, "lane": 1}
    for element, box, attributes, label in sorted(plane.shapes, key=lambda s: layers.get(local_name(s[0]), 2)):
        shape = etree.SubElement(plane_element, f"{{{BPMNDI_NS}}}BPMNShape", id=ids(f"{element.get('id')}_di"),
                                 bpmnElement=element.get("id"), **attributes)
        _bounds(shape, box)
        if label:
            _bounds(etree.SubElement(shape, f"{{{BPMNDI_NS}}}BPMNLabel"), label)
    for edge_id, points, label in _edges(plane):
        edge = etree.SubElement(plane_element, f"{{{BPMNDI_NS}}}BPMNEdge", id=ids(f"{edge_id}_di"),
                                bpmnElement=edge_id)
        for x, y in points:
            etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=_number(x), y=_number(y))
        if label:
            _bounds(etree.SubElement(edge, f"{{{BPMNDI_NS}}}BPMNLabel"), label)
    return diagram


def _subprocess_diagrams(container, ids, drawn):
    """A plane of their own for the collapsed subprocesses of `container` (bpmn-js drills down into it)."""
    diagrams = []
    for node in container.nodes:
        if local_name(node) in _SUBPROCESSES and node.get("id") not in drawn:
            inner = _Container(node)
            plane = _Plane()
            inner.place(plane, 0, 0)
            diagrams.append(_diagram(plane, node.get("id"), ids))
            diagrams.extend(_subprocess_diagrams(inner, ids, drawn))
    return diagrams


def _process_diagram(process, ids, drawn):
    container = _Container(process)
    plane = _Plane()
    container.place(plane, 0, 0)
    return [_diagram(plane, process.get("id"), ids)] + _subprocess_diagrams(container, ids, drawn)


def _collaboration_diagram(collaboration, processes, ids, drawn):
    """Pools stacked top to bottom, all as wide as the widest, then message flows between them."""
    participants = _children(collaboration, "participant")
    containers = {p.get("id"): _Container(processes[p.get("processRef")])
                  for p in participants if p.get("processRef") in processes}
    width = max([HEADER + c.width() for c in containers.values()] + [600])
    plane, top = _Plane(), 0
    for participant in participants:
        container = containers.get(participant.get("id"))
        if container is None:  # a black-box pool: only its name
            box = Box(0, top, width, 80)
        else:
            box = Box(0, top, width, container.place(plane, HEADER, top, width - HEADER).h)
        plane.add(participant, box, obstacle=False, isHorizontal="true")
        plane.ys.add(box.bottom + POOL_GAP / 2)
        top = box.bottom + POOL_GAP
    artifacts = [a for a in collaboration if local_name(a) in _ARTIFACT_SIZES]
    for column, artifact in enumerate(artifacts):  # a row under the pools
        w, h = _size(local_name(artifact))
        box = Box(HEADER + PADDING + column * COLUMN_WIDTH + (COLUMN_WIDTH - w) / 2, top, w, h)
        plane.add(artifact, box, _label_below(artifact.get("name"), box) if artifact.get("name") else None)
    for flow in list(_children(collaboration, "messageFlow")) + list(_children(collaboration, "association")):
        plane.connections.append((flow.get("id"), flow.get("sourceRef"), flow.get("targetRef"), flow.get("name")))
    diagrams = [_diagram(plane, collaboration.get("id"), ids)]
    for container in containers.values():
        diagrams.extend(_subprocess_diagrams(container, ids, drawn))
    return diagrams


def missing_diagrams(root):
    """New BPMNDiagram elements (not attached) for every process and collaboration of `root` without DI."""
    drawn = {plane.get("bpmnElement") for plane in root.iter(f"{{{BPMNDI_NS}}}BPMNPlane")}
    processes = {p.get("id"): p for p in _children(root, "process")}
    ids = _Ids(root)
    diagrams, covered = [], set()
    for collaboration in _children(root, "collaboration"):
        refs = {p.get("processRef") for p in _children(collaboration, "participant")}
        if collaboration.get("id") in drawn or refs & drawn:
            covered |= refs
            continue
        diagrams.extend(_collaboration_diagram(collaboration, processes, ids, drawn))
        covered |= refs
    for process_id, process in processes.items():
        if process_id not in covered and process_id not in drawn:
            diagrams.extend(_process_diagram(process, ids, drawn))
    return diagrams


def add_layout(root):
    """Append the missing diagrams to `root` (an lxml element); returns how many were added."""
    diagrams = missing_diagrams(root)
    root.extend(diagrams)
    return len(diagrams)


def _serialize(element, prefixes, indent):
    """One DI element as text with the file's prefixes (DI elements carry only plain attributes)."""
    qname = etree.QName(element)
    tag = f"{prefixes[qname.namespace]}:{qname.localname}"
    attributes = "".join(f" {name}={_quote(value)}" for name, value in element.attrib.items())
    if len(element) == 0:
        return f"{indent}<{tag}{attributes} />\n"
    inner = "".join(_serialize(child, prefixes, indent + "  ") for child in element)
    return f"{indent}<{tag}{attributes}>\n{inner}{indent}</{tag}>\n"


def _quote(value):
    return '"' + value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;") + '"'


def _start_tag_end(text, start):
    """Index of the `>` closing the start tag at `start`, skipping quoted attribute values."""
    quote = None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return i
    raise ValueError("unterminated start tag")


def layout_source(content: bytes, file_name: str) -> bytes:
    """`content` with diagrams added for what has none; everything else byte for byte as it was."""
    root = parse_or_refuse(content, file_name)
    diagrams = missing_diagrams(root)
    if not diagrams:
        return content
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    text = content.decode(encoding)
    prefixes = {uri: prefix for prefix, uri in root.nsmap.items() if prefix and uri in _DI_PREFIXES}
    declarations = ""
    for uri, prefix in _DI_PREFIXES.items():
        if uri not in prefixes:
            while prefix in root.nsmap:
                prefix += "_"
            prefixes[uri] = prefix
            declarations += f' xmlns:{prefix}="{uri}"'
    root_tag = f"{root.prefix}:{local_name(root)}" if root.prefix else local_name(root)
    start = _root_start(text, root_tag)
    end_of_start = _start_tag_end(text, start)
    closing = text.rindex(f"</{root_tag}")
    body = "".join(_serialize(diagram, prefixes, "  ") for diagram in diagrams)
    text = (text[:end_of_start] + declarations + text[end_of_start:closing] + body + text[closing:])
    return text.encode(encoding)


def _root_start(text, root_tag):
    """Where the root element's start tag begins: the first `<root_tag` outside comments."""
    position = 0
    while True:
        tag = text.index("<" + root_tag, position)
        comment = text.rfind("<!--", 0, tag)
        if comment == -1 or text.find("-->", comment) < tag:
            return tag
        position = text.index("-->", comment) + 3
