"""Reading and checking DMN 1.1-1.3 decision files before anything is stored.

A decision file holds one decision with one decision table: that is what SpiffWorkflow 3.2 runs.
Every cell is translated (cells.py) and compiled in the sandbox here, so a table that deploys
also runs; each problem names the decision, the rule's row and the column, at the file's line.
"""
from functools import lru_cache

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

from ..errors import Problem
from ..scripting.sandbox import SandboxViolation, check as check_code
from . import cells

DMN_NAMESPACES = frozenset(SCHEMAS)
# Hit policies the evaluator implements (hit_policies.py); PRIORITY and OUTPUT ORDER need output value
# priorities, which SpiffWorkflow's table model does not keep.
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT", "RULE ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


def is_decision_file(root):
    """Whether a parsed file is a DMN definitions document."""
    return isinstance(root.tag, str) and etree.QName(root).localname == "definitions" \
        and etree.QName(root).namespace in DMN_NAMESPACES


def _ns(root):
    return {"dmn": etree.QName(root).namespace}


@lru_cache(maxsize=None)
def _schema(namespace):
    return etree.XMLSchema(etree.parse(SCHEMAS[namespace]))


def decision_ids(root):
    return [d.get("id") for d in root.xpath("dmn:decision", namespaces=_ns(root))]


def _label(element, fallback):
    return (element.get("label") or element.get("name") or "").strip() or fallback


def _compile(source, problems, file_name, element, what):
    try:
        check_code(source, "eval")
    except SandboxViolation as err:
        problems.append(Problem(file_name, element.sourceline, _("%(what)s不能这样写：%(detail)s")
                                % {"what": what, "detail": err}, element.get("id")))
        return False
    except SyntaxError as err:
        problems.append(Problem(file_name, element.sourceline, _(
            "%(what)s写法有误（%(detail)s）：请检查括号、引号和逗号是否成对、完整") % {"what": what, "detail": err.msg},
            element.get("id")))
        return False
    return True


def check(root, file_name, problems):
    """Append every problem of one DMN file to `problems`; returns the ids of its decisions."""
    ns = _ns(root)
    schema = _schema(etree.QName(root).namespace)
    if not schema.validate(root):
        for error in schema.error_log:
            problems.append(Problem(file_name, error.line, _("DMN 格式不符合标准：%(detail)s")
                                    % {"detail": error.message}))
        return decision_ids(root)
    decisions = root.xpath("dmn:decision", namespaces=ns)
    if not decisions:
        problems.append(Problem(file_name, root.sourceline, _("这个 DMN 文件中没有决策")))
    for extra in decisions[1:]:
        problems.append(Problem(file_name, extra.sourceline, _(
            "决策“%(decision)s”：一个 DMN 文件只能有一个决策，请把它放到单独的文件中")
            % {"decision": _label(extra, extra.get("id"))}, extra.get("id")))
    for decision in decisions[:1]:
        _check_decision(decision, file_name, ns, problems)
    return decision_ids(root)


def _check_decision(decision, file_name, ns, problems):
    name = _label(decision, decision.get("id"))
    located = {"decision": name}
    if decision.xpath("dmn:informationRequirement", namespaces=ns):
        problems.append(Problem(file_name, decision.sourceline, _(
            "决策“%(decision)s”依赖其他决策或输入数据，本引擎只运行单张决策表：请把所需的值作为流程数据传入")
            % located, decision.get("id")))
    table = decision.find("dmn:decisionTable", namespaces=ns)
    if table is None:
        problems.append(Problem(file_name, decision.sourceline, _(
            "决策“%(decision)s”不是决策表（例如字面表达式），本引擎只运行决策表") % located, decision.get("id")))
        return
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    aggregation = table.get("aggregation")
    if policy not in HIT_POLICIES:
        problems.append(Problem(file_name, table.sourceline, _(
            "决策“%(decision)s”的命中策略 %(policy)s 本引擎不支持；可选：%(known)s")
            % {**located, "policy": policy, "known": "、".join(HIT_POLICIES)}, decision.get("id")))
    if aggregation and (policy != "COLLECT" or aggregation.upper() not in AGGREGATIONS):
        problems.append(Problem(file_name, table.sourceline, _(
            "决策“%(decision)s”的汇总方式 %(aggregation)s 只能用于 COLLECT，可选：%(known)s")
            % {**located, "aggregation": aggregation, "known": "、".join(AGGREGATIONS)}, decision.get("id")))
    inputs = table.findall("dmn:input", namespaces=ns)
    outputs = table.findall("dmn:output", namespaces=ns)
    if not outputs:
        problems.append(Problem(file_name, table.sourceline, _("决策“%(decision)s”没有输出列") % located,
                                decision.get("id")))
    input_labels = []
    for number, column in enumerate(inputs, start=1):
        label = _label(column, _("第 %(n)s 个输入") % {"n": number})
        input_labels.append(label)
        text = column.find("dmn:inputExpression/dmn:text", namespaces=ns)
        if text is None or not (text.text or "").strip():
            problems.append(Problem(file_name, column.sourceline, _(
                "决策“%(decision)s”的输入“%(input)s”没有表达式：请写上它取的流程数据，例如 score")
                % {**located, "input": label}, decision.get("id")))
        else:
            _compile(cells.value(text.text), problems, file_name, text,
                     _("决策“%(decision)s”输入“%(input)s”的表达式") % {**located, "input": label})
    output_labels = []
    for number, column in enumerate(outputs, start=1):
        if not (column.get("name") or column.get("label") or "").strip():
            problems.append(Problem(file_name, column.sourceline, _(
                "决策“%(decision)s”的第 %(n)s 个输出没有名称：结果按名称写入流程数据") % {**located, "n": number},
                decision.get("id")))
        output_labels.append(_label(column, _("第 %(n)s 个输出") % {"n": number}))
    for row, rule in enumerate(table.findall("dmn:rule", namespaces=ns), start=1):
        _check_rule(rule, row, file_name, ns, located, input_labels, output_labels, problems)


def _check_rule(rule, row, file_name, ns, located, input_labels, output_labels, problems):
    entries = rule.findall("dmn:inputEntry", namespaces=ns)
    results = rule.findall("dmn:outputEntry", namespaces=ns)
    if len(entries) != len(input_labels) or len(results) != len(output_labels):
        problems.append(Problem(file_name, rule.sourceline, _(
            "决策“%(decision)s”第 %(row)s 条规则的格数与表头的列数不符") % {**located, "row": row}, rule.get("id")))
        return
    for entry, label in zip(entries, input_labels):
        where = _("决策“%(decision)s”第 %(row)s 条规则“%(column)s”列的条件") % {**located, "row": row, "column": label}
        text = entry.findtext("dmn:text", namespaces=ns)
        try:
            test = cells.input_test(text)
        except cells.NotATest:
            problems.append(Problem(file_name, entry.sourceline, _(
                "%(where)s“%(text)s”看不懂：可写 >= 90、[80..90[、\"优秀\"、\"甲\",\"乙\"、not(\"甲\") 或 -（任意）")
                % {"where": where, "text": text.strip()}, rule.get("id")))
            continue
        if test is not None:
            _compile(test.replace("?", "dmninputexpr"), problems, file_name, entry, where)
    for result, label in zip(results, output_labels):
        text = cells.output_value(result.findtext("dmn:text", namespaces=ns))
        if text:
            _compile(text, problems, file_name, result, _("决策“%(decision)s”第 %(row)s 条规则“%(column)s”列的结果")
                     % {**located, "row": row, "column": label})
