"""Which decision a business rule task evaluates, and where its result goes.

SpiffWorkflow reads `<spiffworkflow:calledDecisionId>` in the task's extension elements; Camunda
Modeler writes `camunda:decisionRef="…"` on the task, with `camunda:resultVariable` and
`camunda:mapDecisionResult`. The Camunda attributes are written as SpiffWorkflow's element and
properties before parsing, so diagrams from either tool run (decisions/hit_policies.py reads them).
"""
from lxml import etree

from ..decisions.hit_policies import RESULT_MAPPING, RESULT_VARIABLE
from .parser import NSMAP, SPIFF_NS, bpmn_tag

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_CALLED = f"{{{SPIFF_NS}}}calledDecisionId"


def called_decision(task):
    """The decision id a businessRuleTask element names, or ""."""
    found = task.find(f"{bpmn_tag('extensionElements')}/{_CALLED}")
    if found is not None and (found.text or "").strip():
        return found.text.strip()
    return (task.get(f"{{{CAMUNDA_NS}}}decisionRef") or "").strip()


def adopt_camunda_refs(root):
    """Give every business rule task that names its decision the Camunda way SpiffWorkflow's element."""
    for task in root.xpath("//bpmn:businessRuleTask[@camunda:decisionRef]",
                           namespaces={**NSMAP, "camunda": CAMUNDA_NS}):
        extensions = task.find(bpmn_tag("extensionElements"))
        if extensions is None:
            extensions = etree.Element(bpmn_tag("extensionElements"))
            task.insert(len(task.findall(bpmn_tag("documentation"))), extensions)  # where the XSD wants it
        if extensions.find(_CALLED) is None:
            etree.SubElement(extensions, _CALLED).text = task.get(f"{{{CAMUNDA_NS}}}decisionRef").strip()
        variable = (task.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip()
        if variable:
            properties = extensions.find(f"{{{SPIFF_NS}}}properties")
            if properties is None:
                properties = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
            mapping = (task.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList").strip()
            for name, value in ((RESULT_VARIABLE, variable), (RESULT_MAPPING, mapping)):
                etree.SubElement(properties, f"{{{SPIFF_NS}}}property", name=name, value=value)


def business_rule_tasks(root):
    """(task element, owning process id) of every business rule task in a file."""
    return [(task, (task.xpath("ancestor::bpmn:process/@id", namespaces=NSMAP) or [None])[0])
            for task in root.xpath("//bpmn:businessRuleTask", namespaces=NSMAP)]
