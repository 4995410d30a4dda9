"""A task's deadline as one property, from which its due date and its overdue timers follow.

    <bpmn:userTask id="place_workers">
      <bpmn:extensionElements>
        <flow:deadline period="15" unit="workdays" from="signed_on" basis="政府采购法第四十六条" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="placement_late" attachedToRef="place_workers" cancelActivity="false">
      <bpmn:extensionElements><flow:followsDeadline /></bpmn:extensionElements>
      <bpmn:timerEventDefinition><bpmn:timeDate>…</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>

`unit` is `workdays` (working days, the start day not counted) or `days` (calendar days, moved to the
next working day when the last one is a rest day); `from` names a data field holding the start date,
or is left out for the day the task opens. `derive` writes the task's dueDate property and the
timeDate of every timer that follows the deadline, so the three cannot disagree; the diagram keeps
them written out for tools that know nothing of deadlines.
"""
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lxml import etree

from ..errors import Problem
from .safe_xml import parse_or_refuse

FLOW_NS = "http://shegong-flow.cn/schema/bpmn/1.0"
UNITS = ("workdays", "days")
MAX_PERIOD = 3660  # ten years of calendar days; no statutory period is longer
_FIELD = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", re.ASCII)
_FUNCTIONS = {"workdays": "add_workdays", "days": "add_days"}
_SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": _BPMN_NS, "spiffworkflow": _SPIFF_NS, "flow": FLOW_NS}
# What earlier diagrams wrote by hand: add_workdays(signed_on, 15), add_days(opening["opened_on"], 30).
_WRITTEN = re.compile(r"\s*(add_workdays|add_days)\(\s*(now\(\)|[A-Za-z_]\w*(?:\[(['\"])\w+\3\])*)\s*,"
                      r"\s*(\d+)\s*\)\s*", re.ASCII)
_KEY = re.compile(r"\[(['\"])(\w+)\1\]", re.ASCII)


@dataclass(frozen=True)
class Deadline:
    period: int
    unit: str = "workdays"
    start_field: str = ""  # a data field, `agreement.signed_on` for one inside another; empty: the day the task opens
    basis: str = ""

    def expression(self):
        """The due-date expression the engine evaluates (the task's data in scope; now() when it opens)."""
        if self.start_field:
            name, *keys = self.start_field.split(".")
            start = name + "".join(f'["{key}"]' for key in keys)
        else:
            start = "now()"
        return f"{_FUNCTIONS[self.unit]}({start}, {self.period})"

    def as_dict(self):
        return {"period": self.period, "unit": self.unit, "from": self.start_field, "basis": self.basis}


def _line(element):
    return getattr(element, "sourceline", None)


def read(element, file_name="", problems=None):
    """The Deadline an element's extensionElements declare, or None; a malformed one is a problem."""
    found = element.xpath("./bpmn:extensionElements/flow:deadline", namespaces=_NS)
    if not found:
        return None
    node = found[0]
    label = element.get("name") or element.get("id")
    errors = []
    period, unit = (node.get("period") or "").strip(), (node.get("unit") or "workdays").strip()
    start_field, basis = (node.get("from") or "").strip(), (node.get("basis") or "").strip()
    names = {"task": label, "max": MAX_PERIOD, "period": period, "unit": unit, "field": start_field}
    if not period.isdigit() or not 0 < int(period) <= MAX_PERIOD:
        errors.append(_("“%(task)s”的办理期限须为 1 至 %(max)s 之间的整数天数，而不是“%(period)s”") % names)
    if unit not in UNITS:
        errors.append(_("“%(task)s”的办理期限按工作日（workdays）或自然日（days）计算，而不是“%(unit)s”") % names)
    if start_field and not _FIELD.fullmatch(start_field):
        errors.append(_("“%(task)s”的办理期限起算日期“%(field)s”不是数据项名称，应如 signed_on 或 agreement.signed_on")
                      % names)
    if len(found) > 1:
        errors.append(_("“%(task)s”有 %(count)s 个办理期限，一个任务只能有一个") % {**names, "count": len(found)})
    if errors:
        if problems is not None:
            problems.extend(Problem(file_name, _line(node), error, element.get("id")) for error in errors)
        return None
    return Deadline(int(period), unit, start_field, basis)


def follows_deadline(event):
    return bool(event.xpath("./bpmn:extensionElements/flow:followsDeadline", namespaces=_NS))


def _set_property(task, name, value):
    extensions = task.find(f"{{{_BPMN_NS}}}extensionElements")
    properties = extensions.find(f"{{{_SPIFF_NS}}}properties")
    if properties is None:
        properties = etree.SubElement(extensions, f"{{{_SPIFF_NS}}}properties")
    for prop in properties.findall(f"{{{_SPIFF_NS}}}property"):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    etree.SubElement(properties, f"{{{_SPIFF_NS}}}property", name=name, value=value)


def _set_time_date(event, expression):
    """The event's timer, whatever kind it was, made a timeDate of `expression`."""
    timer = event.find(f"{{{_BPMN_NS}}}timerEventDefinition")
    if timer is None:
        timer = etree.SubElement(event, f"{{{_BPMN_NS}}}timerEventDefinition", id=f"{event.get('id')}_timer")
    for child in list(timer):
        timer.remove(child)
    etree.SubElement(timer, f"{{{_BPMN_NS}}}timeDate").text = expression


def derive(root, file_name, problems):
    """Write each deadline's due date and its following timers into the tree; report what is wrong."""
    deadlines = {}
    for node in root.xpath("//bpmn:*[bpmn:extensionElements/flow:deadline]", namespaces=_NS):
        deadline = read(node, file_name, problems)
        if deadline is None:
            continue
        if etree.QName(node).localname != "userTask":
            problems.append(Problem(file_name, _line(node), _("只有人工任务才有办理期限；“%(element)s”不是人工任务")
                                    % {"element": node.get("name") or node.get("id")}, node.get("id")))
            continue
        deadlines[node.get("id")] = deadline
        _set_property(node, "dueDate", deadline.expression())
    for event in root.xpath("//bpmn:boundaryEvent[bpmn:extensionElements/flow:followsDeadline]", namespaces=_NS):
        deadline = deadlines.get(event.get("attachedToRef"))
        if deadline is None:
            problems.append(Problem(file_name, _line(event), _(
                "定时事件“%(element)s”设为跟随任务期限，但所附任务没有办理期限：请先为任务填写办理期限")
                % {"element": event.get("name") or event.get("id")}, event.get("id")))
            continue
        _set_time_date(event, deadline.expression())
    return deadlines


def written_deadline(expression):
    """The Deadline a hand-written due-date expression amounts to, or None when it is anything else."""
    match = _WRITTEN.fullmatch(expression or "")
    if not match:
        return None
    function, start, _, period = match.groups()
    unit = "workdays" if function == "add_workdays" else "days"
    if not 0 < int(period) <= MAX_PERIOD:
        return None
    return Deadline(int(period), unit, "" if start == "now()" else _KEY.sub(r".\2", start))


def convert(root):
    """Turn hand-written due dates into deadlines, and timers on the same expression into followers.

    Returns the ids of the tasks converted. Anything not of the plain `add_workdays(field, n)` shape
    is left as it is.
    """
    converted = []
    for task in root.xpath("//bpmn:userTask[not(bpmn:extensionElements/flow:deadline)]", namespaces=_NS):
        props = task.xpath("./bpmn:extensionElements/spiffworkflow:properties/"
                           "spiffworkflow:property[@name='dueDate']", namespaces=_NS)
        deadline = written_deadline(props[0].get("value")) if props else None
        if deadline is None:
            continue
        extensions = task.find(f"{{{_BPMN_NS}}}extensionElements")
        attributes = {"period": str(deadline.period), "unit": deadline.unit}
        if deadline.start_field:
            attributes["from"] = deadline.start_field
        extensions.insert(0, etree.Element(f"{{{FLOW_NS}}}deadline", attributes, nsmap={"flow": FLOW_NS}))
        converted.append(task.get("id"))
        for event in root.xpath("//bpmn:boundaryEvent[@attachedToRef=$id]", namespaces=_NS, id=task.get("id")):
            times = event.xpath("./bpmn:timerEventDefinition/bpmn:timeDate", namespaces=_NS)
            if not times or written_deadline(times[0].text) != deadline or follows_deadline(event):
                continue
            ext = event.find(f"{{{_BPMN_NS}}}extensionElements")
            if ext is None:  # the schema puts it first, after any documentation
                ext = etree.Element(f"{{{_BPMN_NS}}}extensionElements")
                event.insert(len(event.findall(f"{{{_BPMN_NS}}}documentation")), ext)
            ext.append(etree.Element(f"{{{FLOW_NS}}}followsDeadline", nsmap={"flow": FLOW_NS}))
    return converted


def convert_source(content: bytes, file_name: str):
    """(`content` with its hand-written due dates made deadlines, the converted task ids)."""
    root = parse_or_refuse(content, file_name)
    converted = convert(root)
    if not converted:
        return content, []
    etree.cleanup_namespaces(root, top_nsmap={"flow": FLOW_NS})
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"), converted
