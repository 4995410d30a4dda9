"""Lint: what a diagram can run but probably should not say, after bpmnlint's recommended rules.

Findings are warnings: they do not stop a deployment (validation.py says what does). Each is located at
its element, so the modeler marks it, and named like bpmnlint's rule, so a process owner who knows
bpmn.io recognises it.
"""
from django.utils.translation import gettext as _
from lxml import etree

from ..errors import Problem
from .parser import NSMAP
from .safe_xml import UnsafeXml, parse

_ACTIVITIES = ("task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
               "businessRuleTask", "callActivity", "subProcess")
_GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway")
_EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")


class LintWarning(Problem):
    """A lint finding: a Problem that does not stop a deployment."""

    severity = "warning"

    def __init__(self, file, element, rule, message):
        super().__init__(file, getattr(element, "sourceline", None), message, element.get("id"))
        self.rule = rule

    def __str__(self):
        return f"{super().__str__()} [{self.rule}]"

    def as_dict(self):
        return {**super().as_dict(), "rule": self.rule}


def _local(element):
    return etree.QName(element).localname


def _name(element):
    return (element.get("name") or "").strip() or element.get("id")


def lint(bpmn_files):
    """Warnings for BPMN files ({name: bytes or text}); files that cannot be read are validation's to report."""
    found = []
    for name, content in bpmn_files.items():
        try:
            root = parse(content.encode("utf-8") if isinstance(content, str) else content, name)
        except UnsafeXml:
            continue
        for container in root.xpath("//bpmn:process | //bpmn:subProcess", namespaces=NSMAP):
            found.extend(_lint_container(container, name))
    return found


def _lint_container(container, file_name):
    nodes = [child for child in container if isinstance(child.tag, str)
             and _local(child) in _ACTIVITIES + _GATEWAYS + _EVENTS]
    flows = [child for child in container if isinstance(child.tag, str) and _local(child) == "sequenceFlow"]
    incoming, outgoing = {}, {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
    event_subprocess = container.get("triggeredByEvent") == "true"
    warnings = []

    def warn(element, rule, message):
        warnings.append(LintWarning(file_name, element, rule, message))

    starts = [n for n in nodes if _local(n) == "startEvent"]
    if nodes and not starts and _local(container) == "process":
        warn(container, "start-event-required", _("流程“%(name)s”没有开始事件") % {"name": _name(container)})
    if nodes and not any(_local(n) == "endEvent" for n in nodes):
        warn(container, "end-event-required", _("“%(name)s”没有结束事件：请标出流程在哪里结束") % {"name": _name(container)})
    blank_starts = [s for s in starts if not any(_local(c).endswith("EventDefinition") for c in s)]
    if len(blank_starts) > 1 and not event_subprocess:
        for start in blank_starts[1:]:
            warn(start, "single-blank-start-event", _("“%(name)s”是第二个普通开始事件：一个流程只应有一个")
                 % {"name": _name(start)})
    seen_pairs = set()
    for flow in flows:
        pair = (flow.get("sourceRef"), flow.get("targetRef"))
        if pair in seen_pairs:
            warn(flow, "no-duplicate-sequence-flows", _("从同一元素到同一元素有两条连线：请删除重复的一条"))
        seen_pairs.add(pair)
    for node in nodes:
        kind, into, out = _local(node), incoming.get(node.get("id"), []), outgoing.get(node.get("id"), [])
        if kind != "boundaryEvent" and not into and not out and not (kind == "startEvent" and event_subprocess):
            warn(node, "no-disconnected", _("“%(name)s”没有任何连线，永远不会执行：请连上或删除")
                 % {"name": _name(node)})
        if kind in _ACTIVITIES and len(into) > 1:
            warn(node, "fake-join", _("多条连线直接进入“%(name)s”：每条到达都执行一次；若要等各条都到再执行，请先用网关汇合")
                 % {"name": _name(node)})
        if kind in _ACTIVITIES + _EVENTS and len(out) > 1 and not all(_conditioned(f) for f in out):
            warn(node, "no-implicit-split", _("“%(name)s”有多条连线直接流出：请用网关分支")
                 % {"name": _name(node)})
        if kind in _GATEWAYS and len(into) == 1 and len(out) == 1:
            warn(node, "superfluous-gateway", _("网关“%(name)s”只有一进一出，可以删除") % {"name": _name(node)})
        labelled = kind in _ACTIVITIES or (kind in _GATEWAYS and len(out) > 1) or kind in (
            "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
        if labelled and not (node.get("name") or "").strip():
            warn(node, "label-required", _("“%(id)s”没有名称：请写上办理人看得懂的名称") % {"id": node.get("id")})
    return warnings


def _conditioned(flow):
    return any(isinstance(c.tag, str) and _local(c) == "conditionExpression" for c in flow)
