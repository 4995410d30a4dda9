"""Starting points for a new process: a blank diagram and the patterns offices use most (审批, 上报, 督办).

Each builds a drawn, valid diagram in the owner's offices' lanes, with a form for each user task,
ready to be edited in the modeler and validated before its first deployment.
"""
import json
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from django.utils.translation import gettext_lazy

TEMPLATES = {"blank": gettext_lazy("空白流程"), "approval": gettext_lazy("审批：提交、审核，退回后修改再审"),
             "report": gettext_lazy("上报：按期填报、审阅，逾期督办"),
             "supervision": gettext_lazy("督办：限期办理，逾期由上级督办")}

LANE_HEIGHT, COLUMN, LEFT, TOP = 160, 170, 60, 40
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "userTask": (110, 80), "exclusiveGateway": (50, 50),
         "boundaryEvent": (36, 36)}


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: int
    column: int
    inner: str = ""  # extension elements, before the flows (the schema's order)
    attached_to: str = ""
    definitions: str = ""  # event definitions, after the flows


@dataclass
class Diagram:
    key: str
    name: str
    lanes: list  # lane names (office roles, by their Chinese name)
    nodes: list = field(default_factory=list)
    flows: list = field(default_factory=list)  # (id, source, target, name, condition)
    forms: dict = field(default_factory=dict)  # file name -> schema

    def box(self, node):
        width, height = SIZES[node.kind]
        if node.attached_to:
            host = self.box(next(n for n in self.nodes if n.id == node.attached_to))
            return host[0] + host[2] - width - 10, host[1] + host[3] - height / 2, width, height
        x = LEFT + 30 + 60 + node.column * COLUMN + (110 - width) / 2
        y = TOP + node.lane * LANE_HEIGHT + (LANE_HEIGHT - height) / 2
        return x, y, width, height

    def xml(self):
        pid = self.key
        width = 30 + 60 + (max(n.column for n in self.nodes) + 1) * COLUMN + 40
        lanes = "".join(
            f'<bpmn:lane id="lane_{i}" name={quoteattr(name)}>'
            + "".join(f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>" for n in self.nodes if n.lane == i)
            + "</bpmn:lane>" for i, name in enumerate(self.lanes))
        elements = []
        for node in self.nodes:
            incoming = "".join(f"<bpmn:incoming>{f[0]}</bpmn:incoming>" for f in self.flows if f[2] == node.id)
            outgoing = "".join(f"<bpmn:outgoing>{f[0]}</bpmn:outgoing>" for f in self.flows if f[1] == node.id)
            attrs = f' attachedToRef="{node.attached_to}" cancelActivity="false"' if node.attached_to else ""
            elements.append(f'<bpmn:{node.kind} id="{node.id}" name={quoteattr(node.name)}{attrs}>{node.inner}'
                            f"{incoming}{outgoing}{node.definitions}</bpmn:{node.kind}>")
        for flow_id, source, target, name, condition in self.flows:
            body = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
                    f"</bpmn:conditionExpression>") if condition else ""
            elements.append(f'<bpmn:sequenceFlow id="{flow_id}" name={quoteattr(name or "")} sourceRef="{source}" '
                            f'targetRef="{target}">{body}</bpmn:sequenceFlow>')
        shapes = [f'<bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">'
                  f'<dc:Bounds x="{LEFT}" y="{TOP}" width="{width}" height="{LANE_HEIGHT * len(self.lanes)}" />'
                  f"</bpmndi:BPMNShape>"]
        shapes += [f'<bpmndi:BPMNShape id="lane_{i}_di" bpmnElement="lane_{i}" isHorizontal="true">'
                   f'<dc:Bounds x="{LEFT + 30}" y="{TOP + i * LANE_HEIGHT}" width="{width - 30}" '
                   f'height="{LANE_HEIGHT}" /></bpmndi:BPMNShape>' for i in range(len(self.lanes))]
        for node in self.nodes:
            x, y, w, h = self.box(node)
            shapes.append(f'<bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}">'
                          f'<dc:Bounds x="{x:g}" y="{y:g}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
        for flow_id, source, target, _name, _condition in self.flows:
            shapes.append(f'<bpmndi:BPMNEdge id="{flow_id}_di" bpmnElement="{flow_id}">'
                          + "".join(f'<di:waypoint x="{x:g}" y="{y:g}" />' for x, y in self._route(source, target))
                          + "</bpmndi:BPMNEdge>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
            f'xmlns:flow="http://shegong-flow.cn/schema/bpmn/1.0" id="{pid}_definitions" '
            f'targetNamespace="http://shegong.gz/bpmn/{pid}">\n'
            f'  <bpmn:collaboration id="{pid}_collaboration"><bpmn:participant id="pool" name={quoteattr(self.name)} '
            f'processRef="{pid}" /></bpmn:collaboration>\n'
            f'  <bpmn:process id="{pid}" name={quoteattr(self.name)} isExecutable="true">\n'
            f'    <bpmn:laneSet id="{pid}_lanes">{lanes}</bpmn:laneSet>\n    '
            + "\n    ".join(elements) + "\n  </bpmn:process>\n"
            f'  <bpmndi:BPMNDiagram id="{pid}_diagram"><bpmndi:BPMNPlane id="{pid}_plane" '
            f'bpmnElement="{pid}_collaboration">' + "".join(shapes) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n"
            "</bpmn:definitions>\n")

    def _route(self, source, target):
        node = next(n for n in self.nodes if n.id == source)
        ax, ay, aw, ah = self.box(node)
        bx, by, bw, bh = self.box(next(n for n in self.nodes if n.id == target))
        if node.attached_to:  # from a boundary event straight down into what it leads to
            return [(ax + aw / 2, ay + ah), (ax + aw / 2, by)]
        if bx < ax:  # back to an earlier element: into its top
            top = by - 20
            return [(ax + aw / 2, ay), (ax + aw / 2, top), (bx + bw / 2, top), (bx + bw / 2, by)]
        start, end = (ax + aw, ay + ah / 2), (bx, by + bh / 2)
        if start[1] == end[1]:
            return [start, end]
        return [start, (bx - 25, start[1]), (bx - 25, end[1]), end]


def _task_extensions(form_id, period=None):
    deadline = f'<flow:deadline period="{period}" unit="workdays" />' if period else ""
    return (f"<bpmn:extensionElements>{deadline}<spiffworkflow:properties>"
            f'<spiffworkflow:property name="formId" value="{form_id}" />'
            + (f'<spiffworkflow:property name="dueDate" value="add_workdays(now(), {period})" />' if period else "")
            + "</spiffworkflow:properties></bpmn:extensionElements>")


def _form(form_id, title, components):
    return {"id": form_id, "type": "default", "schemaVersion": 16,
            "components": [{"type": "text", "id": f"{form_id}_title", "text": f"## {title}"}, *components]}


def _text(key, label, required=True):
    return {"type": "textarea", "key": key, "label": label, "id": f"f_{key}",
            "validate": {"required": required}}


def _decision(key):
    return {"type": "radio", "key": key, "label": "审核意见", "id": f"f_{key}", "validate": {"required": True},
            "values": [{"label": "通过", "value": "approve"}, {"label": "退回修改", "value": "return"}]}


def _late_timer(node_id, host):
    # The timer's expression is derived from the task's deadline when the diagram is read.
    return Node(f"{node_id}_late", "boundaryEvent", "逾期", 0, 0, attached_to=host,
                inner="<bpmn:extensionElements><flow:followsDeadline /></bpmn:extensionElements>",
                definitions=f'<bpmn:timerEventDefinition id="{node_id}_late_timer">'
                            f"<bpmn:timeDate>add_workdays(now(), 10)</bpmn:timeDate></bpmn:timerEventDefinition>")


def build(template, key, name, first_office, second_office):
    """(BPMN text, {form file name: JSON text}) of `template` for process `key` named `name`, its work done
    by `first_office` and reviewed or supervised by `second_office` (office role names)."""
    diagram = Diagram(key, name, [first_office] if template == "blank" else [first_office, second_office])
    nodes, flows, forms = diagram.nodes, diagram.flows, diagram.forms
    if template == "blank":
        nodes += [Node("start", "startEvent", "开始", 0, 0), Node("end", "endEvent", "结束", 0, 1)]
        flows.append(("f1", "start", "end", "", ""))
    elif template == "approval":
        submit, review = f"{key}_submit", f"{key}_review"
        nodes += [Node("start", "startEvent", "开始", 0, 0),
                  Node("submit", "userTask", "提交申请", 0, 1, _task_extensions(submit, 10)),
                  Node("review", "userTask", "审核", 1, 2, _task_extensions(review, 5)),
                  Node("decide", "exclusiveGateway", "审核结果", 1, 3),
                  Node("end", "endEvent", "审核通过", 1, 4)]
        flows += [("f1", "start", "submit", "", ""), ("f2", "submit", "review", "", ""),
                  ("f3", "review", "decide", "", ""),
                  ("f_approve", "decide", "end", "通过", 'decision == "approve"'),
                  ("f_return", "decide", "submit", "退回修改", 'decision == "return"')]
        forms[f"{submit}.form"] = _form(submit, "提交申请", [_text("content", "申请内容")])
        forms[f"{review}.form"] = _form(review, "审核", [_decision("decision"), _text("comment", "说明", False)])
    elif template in ("report", "supervision"):
        work, check, urge = f"{key}_work", f"{key}_check", f"{key}_urge"
        titles = ("填报", "审阅") if template == "report" else ("限期办理", "确认办结")
        nodes += [Node("start", "startEvent", "开始", 0, 0),
                  Node("work", "userTask", titles[0], 0, 1, _task_extensions(work, 10)),
                  Node("check", "userTask", titles[1], 1, 3, _task_extensions(check, 5)),
                  Node("end", "endEvent", "结束", 1, 4),
                  _late_timer("work", "work"),
                  Node("urge", "userTask", "逾期督办", 1, 1, _task_extensions(urge, 3)),
                  Node("urged", "endEvent", "已督办", 1, 2)]
        flows += [("f1", "start", "work", "", ""), ("f2", "work", "check", "", ""), ("f3", "check", "end", "", ""),
                  ("f_late", "work_late", "urge", "", ""), ("f_urged", "urge", "urged", "", "")]
        forms[f"{work}.form"] = _form(work, titles[0], [_text("content", "办理情况")])
        forms[f"{check}.form"] = _form(check, titles[1], [_text("opinion", "意见", False)])
        forms[f"{urge}.form"] = _form(urge, "逾期督办", [_text("notice", "督办意见")])
    else:
        raise ValueError(f"no template {template!r}")
    return diagram.xml(), {name: json.dumps(schema, ensure_ascii=False, indent=2) for name, schema in forms.items()}
