"""Evaluating a decision table by its hit policy, in a business rule task or on sample inputs.

SpiffWorkflow 3.2 implements UNIQUE (returning the first match without checking it is the only one)
and COLLECT. Here, as DMN 1.3 says:
- UNIQUE: at most one rule may match; two matching is the table's error, named with their rows;
- FIRST: the first matching rule in table order;
- ANY: every matching rule must give the same outputs;
- RULE ORDER and COLLECT: each output is the list of the matching rules' values, in table order;
  COLLECT with SUM, MIN, MAX or COUNT (distinct values) gives one value per output instead.
With no rule matching, a single-hit table's outputs are None (DMN's null), a list an empty list.
Outputs land in the task data under each output's name; a task with a result variable (Camunda's
`camunda:resultVariable` and `mapDecisionResult`, read into the spec's properties) keeps them under
that one name instead: singleEntry the value, singleResult the outputs, collectEntries the list of
values, resultList (Camunda's default) the list of each matching rule's outputs.
"""
from django.utils.translation import gettext as _
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from . import cells


RESULT_VARIABLE, RESULT_MAPPING = "resultVariable", "mapDecisionResult"


class DecisionFailed(Exception):
    """The table cannot give one answer for these inputs."""


def prepared(table, aggregation=None):
    """`table` (SpiffWorkflow's model, as parsed) with its cells translated into the sandbox's Python."""
    for rule in table.rules:
        for entry in rule.inputEntries:
            entry.lhs = [cells.input_test(text) for text in entry.lhs]
        for entry in rule.outputEntries:
            entry.text = cells.output_value(entry.text)
    for column in table.inputs:
        column.expression = cells.value(column.expression or "")
    policy = (table.hit_policy or "UNIQUE").upper()
    table.hit_policy = f"{policy}:{aggregation.upper()}" if aggregation else policy
    return table


def _key(output):
    return output.name or output.label


class DecisionEngine(DMNEngine):
    def matching(self, task):
        """The rules whose every input test holds for the task's data, in table order."""
        return [rule for rule in self.decision_table.rules if all(
            self.evaluate(entry.input.expression, test, task)
            for entry in rule.inputEntries for test in entry.lhs if test is not None)]

    def result(self, task):
        properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
        variable = properties.get(RESULT_VARIABLE)
        if not variable:
            return self.outputs(task)
        rules = self.matching(task)
        values = [self._values(rule, task) for rule in rules]
        mapping = properties.get(RESULT_MAPPING) or "resultList"
        if mapping == "resultList":
            return {variable: values}
        if mapping == "collectEntries":
            return {variable: [next(iter(v.values()), None) for v in values]}
        if len(values) > 1:
            raise DecisionFailed(_("决策表“%(table)s”有 %(n)s 条规则适用，%(mapping)s 只能取一条结果")
                                 % {"table": self._name(), "n": len(values), "mapping": mapping})
        single = values[0] if values else None
        if mapping == "singleEntry":
            return {variable: next(iter(single.values()), None) if single else None}
        return {variable: single}

    def outputs(self, task):
        """The outputs by hit policy, each under its own name."""
        table = self.decision_table
        policy, _sep, aggregation = table.hit_policy.partition(":")
        rules = self.matching(task)
        values = [self._values(rule, task) for rule in rules]
        keys = [_key(output) for output in table.outputs]
        if policy in ("COLLECT", "RULE ORDER"):
            lists = {key: [v[key] for v in values] for key in keys}
            if aggregation:
                return {key: _aggregate(aggregation, items) for key, items in lists.items()}
            return lists
        if not rules:
            return {key: None for key in keys}
        if policy == "UNIQUE" and len(rules) > 1:
            raise DecisionFailed(_("决策表“%(table)s”的第 %(rows)s 条规则同时适用，唯一命中（UNIQUE）只允许一条")
                                 % {"table": self._name(), "rows": "、".join(str(r.row_number) for r in rules)})
        if policy == "ANY" and any(v != values[0] for v in values):
            raise DecisionFailed(_("决策表“%(table)s”的第 %(rows)s 条规则同时适用但结果不同，任一命中（ANY）要求结果相同")
                                 % {"table": self._name(), "rows": "、".join(str(r.row_number) for r in rules)})
        return values[0]

    def _name(self):
        return self.decision_table.name or self.decision_table.id

    def _values(self, rule, task):
        script_engine = task.workflow.script_engine
        return {_key(entry.output): script_engine.evaluate(task, entry.text) if entry.text else None
                for entry in rule.outputEntries}


def _aggregate(aggregation, items):
    present = [item for item in items if item is not None]
    if aggregation == "COUNT":
        return len({repr(item) for item in present})
    if not present:
        return None
    try:
        return {"SUM": sum, "MIN": min, "MAX": max}[aggregation](present)
    except TypeError as err:
        raise DecisionFailed(_("汇总方式 %(aggregation)s 无法用于这些结果：%(detail)s")
                             % {"aggregation": aggregation, "detail": err}) from err
