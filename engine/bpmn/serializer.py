"""Serializing specs and workflow state with SpiffWorkflow's versioned serializer.

A version's specs are serialized once at deployment. An instance's state is
serialized without its specs: they come from the version (cached in memory),
so a step neither writes nor parses the process definition.
"""
import json
from datetime import date
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter, SubWorkflowTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .. import spiff_private
from ..decisions.hit_policies import DecisionEngine
from .specs import TerminableCallActivity

SERIALIZER_VERSION = VERSION


class StateConverter(BpmnWorkflowConverter):
    """The top workflow without `spec` and `subprocess_specs`."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        return super().from_dict({**dct, "spec": spec, "subprocess_specs": subprocess_specs})


class DecisionTaskConverter(BusinessRuleTaskConverter):
    """A business rule task whose table is evaluated by its hit policy (decisions/hit_policies.py)."""

    def from_dict(self, dct):
        dct["dmnEngine"] = DecisionEngine(self.decision_table_from_dict(dct.pop("decision_table")))
        return self.task_spec_from_dict(dct)


def _build_registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = StateConverter
    config[TerminableCallActivity] = SubWorkflowTaskConverter
    config[BusinessRuleTask] = DecisionTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Task data may hold dates and money; both come back as what they were.
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return registry


_registry = _build_registry()
# Instance state is written through a registry of its own, so writing never changes the shared one.
_state_registry = spiff_private.encoding_registry(_build_registry())
_state_encoder = create_encoder(_state_registry)


def spec_registry():
    """The converter registry specs are serialized with; SpiffWorkflow's spec diff compares specs through it."""
    return _registry


def dump_specs(spec, subprocess_specs) -> dict:
    return {
        "spec": _registry.convert(spec),
        "subprocess_specs": {name: _registry.convert(s) for name, s in subprocess_specs.items()},
        "serializer_version": SERIALIZER_VERSION,
    }


def load_specs(dct):
    spec = _registry.restore(dct["spec"])
    subprocess_specs = {name: _registry.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def dump_state(workflow) -> str:
    return json.dumps(_state_registry.convert(workflow), cls=_state_encoder)


def load_state(text, spec, subprocess_specs, version=SERIALIZER_VERSION):
    dct = json.loads(text)
    if version != SERIALIZER_VERSION and version in MIGRATIONS:
        raise ValueError(f"instance state was written by serializer {version}; migrate it before loading")
    converter = _registry.convert_from_dict["BpmnWorkflow"]
    return converter(dct, spec=spec, subprocess_specs=subprocess_specs)


def to_json_data(data):
    """Task data as plain JSON values (dates as ISO strings, money as strings), for storage and display."""
    return json.loads(json.dumps(_registry.clean(data), default=str))
