"""The BPMN dialect the engine runs: SpiffWorkflow's, plus the task properties we read.

A user task names its form and due date with spiffworkflow properties:

    <spiffworkflow:properties>
      <spiffworkflow:property name="formId" value="annual_plan" />
      <spiffworkflow:property name="dueDate" value="add_workdays(signed_on, 15)" />
    </spiffworkflow:properties>

A deadline declared as one property (deadlines.py) is read into the spec's extensions as
`deadline`; its dueDate is derived from it before parsing.

A minimum period ("不少于 N 日") is an earliest-allowed moment: `notBefore` (an expression giving a
date or datetime) with `notBeforeReason` (the message shown when completing earlier is refused).
"""
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser, UserTaskParser
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.spiff.specs.defaults import UserTask

from ..decisions.hit_policies import DecisionEngine, prepared
from . import deadlines
from .specs import TerminableCallActivity

FORM_PROPERTY = "formId"
DUE_DATE_PROPERTY = "dueDate"
NOT_BEFORE_PROPERTY = "notBefore"
NOT_BEFORE_REASON_PROPERTY = "notBeforeReason"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "flow": deadlines.FLOW_NS}


def bpmn_tag(name):
    """The qualified tag of a BPMN element, for lxml's find and iter."""
    return f"{{{BPMN_NS}}}{name}"


def local_name(element):
    """An element's tag without its namespace (None for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else None


class DeadlineUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        deadline = deadlines.read(self.node if node is None else node)
        if deadline is not None:
            extensions["deadline"] = deadline.as_dict()
        return extensions


class ScheduledStartEventParser(SpiffStartEventParser):
    """A start event with what a timer start starts (runtime/schedules.py): flow:onWorkday, flow:startWith."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        node = self.node if node is None else node
        if node.xpath("./bpmn:extensionElements/flow:onWorkday", namespaces=NSMAP):
            extensions["onWorkday"] = True
        start_with = node.xpath("./bpmn:extensionElements/flow:startWith", namespaces=NSMAP)
        if start_with and (start_with[0].text or "").strip():
            extensions["startWith"] = start_with[0].text.strip()
        return extensions


class EngineParser(SpiffBpmnParser):
    """Spiff's parser without its own XSD check: validation.py checks the schema and reports every error."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("callActivity"): (CallActivityParser, TerminableCallActivity),
        full_tag("userTask"): (DeadlineUserTaskParser, UserTask),
        full_tag("startEvent"): (ScheduledStartEventParser, StartEvent),
    }

    def __init__(self):
        super().__init__(validator=None)

    def get_engine(self, decision_ref, node):
        """The decision's table with its cells as the sandbox's Python, evaluated by its hit policy."""
        table = super().get_engine(decision_ref, node).decision_table
        dmn = self.dmn_parsers[decision_ref]
        table.name = table.name or dmn.get_name() or table.id  # what errors call the table
        aggregation = dmn.xpath(".//dmn:decisionTable/@aggregation")
        return DecisionEngine(prepared(table, aggregation[0] if aggregation else None))


def task_properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def form_id(task_spec):
    return task_properties(task_spec).get(FORM_PROPERTY, "")


def deadline(task_spec):
    """The task's declared deadline as {period, unit, from, basis}, or None."""
    return (getattr(task_spec, "extensions", None) or {}).get("deadline")


def due_date_expression(task_spec):
    return task_properties(task_spec).get(DUE_DATE_PROPERTY, "")


def not_before_expression(task_spec):
    return task_properties(task_spec).get(NOT_BEFORE_PROPERTY, "")


def not_before_reason(task_spec):
    return task_properties(task_spec).get(NOT_BEFORE_REASON_PROPERTY, "")


def instructions(task_spec):
    return (getattr(task_spec, "extensions", None) or {}).get("instructionsForEndUser", "") or ""
