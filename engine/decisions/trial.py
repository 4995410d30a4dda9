"""Trying a decision table on sample inputs, as a process owner does while editing it."""
import ast
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from django.utils.translation import gettext as _
from SpiffWorkflow.exceptions import WorkflowException

from ..bpmn.parser import EngineParser
from ..bpmn.safe_xml import UnsafeXml, parse
from ..errors import InvalidDefinition, InvalidInput, Problem
from ..scripting.engine import EngineScriptEngine
from ..scripting.functions import available
from . import files
from .hit_policies import DecisionFailed

_NUMBER_TYPES = {"number", "integer", "long", "double"}


def _checked(dmn_text, file_name):
    """The parsed DMN file and its decision's table, or InvalidDefinition with every problem."""
    try:
        root = parse(dmn_text.encode("utf-8"), file_name)
    except UnsafeXml as err:
        raise InvalidDefinition([err.problem]) from None
    if not files.is_decision_file(root):
        raise InvalidDefinition([Problem(file_name, root.sourceline, _("不是 DMN 文件：根元素须为 dmn:definitions"))])
    problems = []
    ids = files.check(root, file_name, problems)
    if problems:
        raise InvalidDefinition(problems)
    parser = EngineParser()
    parser.add_dmn_xml(root, filename=file_name)
    return ids[0], parser.get_engine(ids[0], root)


def _free_names(expression):
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return []
    known = set(available())
    return [node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.id not in known and node.id not in ("True", "False", "None")]


def inputs(dmn_text, file_name="decision.dmn"):
    """The process data a decision table reads, in column order: [{"name", "label", "type"}].

    A column reading one name is labelled as the column is; a column computing from several names
    asks for each of them.
    """
    return _wanted(_checked(dmn_text, file_name)[1])


def _wanted(engine):
    wanted = []
    for column in engine.decision_table.inputs:
        names = _free_names(column.expression)
        for name in names:
            if name not in (w["name"] for w in wanted):
                single = len(names) == 1 and column.expression.strip() == name
                wanted.append({"name": name, "label": (column.label if single else "") or name,
                               "type": column.typeRef if single else ""})
    return wanted


def _typed(name, value, type_ref):
    """A sample value as the process would hold it: numbers as numbers, booleans as booleans."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if type_ref in _NUMBER_TYPES and text:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidInput({name: _("“%(value)s”不是数字") % {"value": text}}) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if type_ref == "boolean" and text in ("true", "false"):
        return text == "true"
    return None if text == "" else text


def run(dmn_text, sample, file_name="decision.dmn"):
    """What the table gives for `sample` ({data name: value}; text is read by each input's type):
    {"decision": id, "outputs": {name: value}, "rows": [matching rule rows], "applied": [rows giving the
    outputs: the first of them under FIRST]}.

    Raises InvalidDefinition for a table that would not deploy, InvalidInput with the table's or the
    expression's error for these inputs.
    """
    decision, engine = _checked(dmn_text, file_name)
    types = {w["name"]: w["type"] for w in _wanted(engine)}
    data = {name: _typed(name, sample.get(name, ""), types.get(name, "")) for name in types}
    task = SimpleNamespace(data=data, task_spec=SimpleNamespace(name=decision, bpmn_id=decision, bpmn_name=decision),
                           workflow=SimpleNamespace(script_engine=EngineScriptEngine()))
    try:
        rows = [rule.row_number for rule in engine.matching(task)]
        outputs = engine.result(task)
    except DecisionFailed as err:
        raise InvalidInput({"decision": str(err)}) from None
    except WorkflowException as err:
        cause = err.__cause__ or getattr(err, "exception", None) or err
        raise InvalidInput({"decision": _("按这些输入计算时出错：%(detail)s") % {"detail": cause}}) from None
    applied = rows[:1] if engine.decision_table.hit_policy == "FIRST" else rows
    return {"decision": decision, "outputs": outputs, "rows": rows, "applied": applied}
