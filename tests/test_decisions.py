"""DMN decision tables: deployed and versioned with their diagrams, evaluated by their hit policy in business
rule tasks, tried on sample inputs, and refused at validation with file:line when they would not run.

Tables are written as dmn-js and Camunda Modeler write them: FEEL unary tests in the input cells."""
from html import escape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from engine import api
from engine.errors import InvalidDefinition, InvalidInput
from engine.models import DefinitionFile
from tests.conftest import BPMN_DIR

pytestmark = pytest.mark.django_db

LIFECYCLE = Path(__file__).resolve().parent.parent / "bpmn"
CAMUNDA = [BPMN_DIR / "foreign" / "camunda_subsidy.bpmn", BPMN_DIR / "foreign" / "camunda_subsidy.dmn"]
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(policy="UNIQUE", rules=(), inputs=(("score", "number"),), outputs=("result",), extra="", aggregation=""):
    """A one-decision DMN file; rules are ((input cells...), (output cells...))."""
    heads = "".join(f'<input id="in{i}" label="{name}"><inputExpression id="ie{i}" typeRef="{kind}"><text>{name}'
                    f'</text></inputExpression></input>' for i, (name, kind) in enumerate(inputs))
    heads += "".join(f'<output id="out{i}" name="{name}" />' for i, name in enumerate(outputs))
    body = "".join(
        f'<rule id="r{n}">' + "".join(f'<inputEntry id="r{n}i{i}"><text>{escape(cell, False)}</text></inputEntry>'
                                     for i, cell in enumerate(cells))
        + "".join(f'<outputEntry id="r{n}o{i}"><text>{escape(cell, False)}</text></outputEntry>'
                  for i, cell in enumerate(results))
        + "</rule>" for n, (cells, results) in enumerate(rules))
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN13}" id="defs" name="d" '
            f'namespace="http://example.org/dmn">\n<decision id="rate" name="费率">{extra}\n'
            f'<decisionTable id="t" hitPolicy="{policy}"{agg}>\n{heads}\n{body}\n</decisionTable>\n</decision>\n'
            f'</definitions>')


RATE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://example.org">
  <bpmn:process id="rating" name="定档" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide" name="定档">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>rate</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def run(dmn, **data):
    api.deploy({"rating.bpmn": RATE_BPMN, "rate.dmn": dmn})
    return api.start("rating", data=data).instance


def test_a_camunda_modeler_table_runs_with_feel_cells_and_its_result_variable():
    bpmn, forms = api.read_files([str(p) for p in CAMUNDA])
    version = api.deploy(bpmn, forms).created[0]
    assert dict(version.files.values_list("name", "kind")) == {
        "camunda_subsidy.bpmn": DefinitionFile.BPMN, "camunda_subsidy.dmn": DefinitionFile.DMN}
    cases = [({"workers": 2, "station_kind": "村"}, {"subsidy_level": "一档", "monthly_subsidy": 3000,
                                                    "needs_review": False}),  # [1..2] and "乡镇","村"
             ({"workers": 4, "station_kind": "乡镇"}, {"subsidy_level": "二档", "monthly_subsidy": 5000,
                                                     "needs_review": True}),  # >= 3 and not("街道")
             ({"workers": 4, "station_kind": "街道"}, {"subsidy_level": "城区", "monthly_subsidy": 2000,
                                                     "needs_review": None}),  # ]0..10[ and null
             ({"workers": 0, "station_kind": "村"}, None)]  # no rule: singleResult is null
    for data, expected in cases:
        instance = api.start("camunda_station_subsidy", data=data).instance
        assert instance.state == "completed"
        assert instance.data["subsidy_result"] == expected, data


def test_a_decision_is_found_beside_the_diagram_by_its_id(tmp_path):
    (tmp_path / "decisions").mkdir()
    (tmp_path / "rating.bpmn").write_text(RATE_BPMN, encoding="utf-8")
    (tmp_path / "decisions" / "rate.dmn").write_text(table(rules=[((">= 0",), ('"ok"',))]), encoding="utf-8")
    bpmn, _forms = api.read_files([str(tmp_path / "rating.bpmn")])
    assert set(bpmn) == {"rating.bpmn", "rate.dmn"}


@pytest.mark.parametrize("policy, aggregation, score, expected", [
    ("FIRST", "", 95, {"result": "A"}),
    ("UNIQUE", "", 70, {"result": "C"}),
    ("UNIQUE", "", -1, {"result": None}),  # no rule: DMN's null
    ("RULE ORDER", "", 95, {"result": ["A", "B", "C"]}),
    ("COLLECT", "", 85, {"result": ["B", "C"]}),
    ("COLLECT", "COUNT", 95, {"result": 3}),
    ("ANY", "", 95, None),  # A, B and C differ
])
def test_hit_policies(policy, aggregation, score, expected):
    rules = [((">= 90",), ('"A"',)), ((">= 80",), ('"B"',)), (("[0..100]",), ('"C"',))]
    if policy == "UNIQUE":
        rules = [(("[90..100]",), ('"A"',)), (("[80..90[",), ('"B"',)), (("[0..80[",), ('"C"',))]
    instance = run(table(policy, rules, aggregation=aggregation), score=score)
    if expected is None:
        assert instance.state == "failed" and instance.error_element == "decide"
        assert "任一命中（ANY）要求结果相同" in instance.error and "第 1、2、3 条规则" in instance.error
    else:
        assert instance.state == "completed"
        assert {k: instance.data[k] for k in expected} == expected


def test_collect_sum_adds_the_matching_rules_outputs():
    rules = [(("true",), ("100",)), (('"村"', ), ("50",)), (("-",), ("25",))]
    dmn = table("COLLECT", rules, inputs=(("remote", "boolean"), ), aggregation="SUM").replace(
        '<text>"村"</text>', '<text>true</text>')
    assert run(dmn, remote=True).data["result"] == 175
    assert run(dmn, remote=False).data["result"] == 25


def test_two_rules_matching_a_unique_table_is_an_incident_naming_them():
    instance = run(table("UNIQUE", [((">= 80",), ('"B"',)), ((">= 60",), ('"C"',))]), score=85)
    assert instance.state == "failed" and instance.error_element == "decide"
    assert "第 1、2 条规则同时适用" in instance.error


def test_every_problem_of_a_table_is_reported_at_once_with_its_line():
    dmn = table("PRIORITY", [(("[80..90",), ('"B"',)), ((">= 60", "1"), ('"C"',)), (("< len(",), ("max(",))],
                extra="<informationRequirement id='ir'><requiredDecision href='#other' /></informationRequirement>")
    with pytest.raises(InvalidDefinition) as refused:
        api.validate({"rating.bpmn": RATE_BPMN, "rate.dmn": dmn})
    found = {(p.file, p.message.split("：")[0]) for p in refused.value.problems}
    messages = " ".join(p.message for p in refused.value.problems)
    assert all(p.line for p in refused.value.problems if p.file == "rate.dmn")
    assert "命中策略 PRIORITY 本引擎不支持" in messages
    assert "依赖其他决策或输入数据" in messages
    assert "第 1 条规则“score”列的条件“[80..90”看不懂" in messages
    assert "第 2 条规则的格数与表头的列数不符" in messages
    assert "第 3 条规则“score”列的条件“< len(”看不懂" in messages
    assert "第 3 条规则“result”列的结果写法有误" in messages
    assert ("rating.bpmn", "业务规则任务“定档”使用的决策“rate”") not in found, "its decision exists, though broken"


def test_a_task_naming_no_known_decision_is_refused_on_the_diagram():
    with pytest.raises(InvalidDefinition) as refused:
        api.validate({"rating.bpmn": RATE_BPMN})
    [problem] = refused.value.problems
    assert problem.file == "rating.bpmn" and problem.element == "decide" and problem.line == 6
    assert problem.message.startswith("业务规则任务“定档”使用的决策“rate”不在这些文件中")


def test_a_decision_file_must_hold_one_table():
    two = table(rules=[((">= 0",), ('"x"',))]).replace(
        "</definitions>", '<decision id="other" name="另一个"><literalExpression id="l"><text>1</text>'
                          '</literalExpression></decision></definitions>')
    literal = (f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="http://x"><decision id="rate" name="费率">'
               '<literalExpression id="l"><text>1</text></literalExpression></decision></definitions>')
    for dmn, expected in ((two, "一个 DMN 文件只能有一个决策"), (literal, "不是决策表")):
        with pytest.raises(InvalidDefinition) as refused:
            api.validate({"rating.bpmn": RATE_BPMN, "rate.dmn": dmn})
        assert expected in " ".join(p.message for p in refused.value.problems)


def test_a_changed_table_is_a_new_version_and_running_instances_keep_theirs():
    old = table(rules=[((">= 60",), ('"合格"',)), (("< 60",), ('"不合格"',))])
    first = run(old, score=65)
    assert first.data["result"] == "合格"
    assert not api.deploy({"rating.bpmn": RATE_BPMN, "rate.dmn": old.replace("\n", "\n  ")}).created, \
        "the same table formatted anew is no change"
    stricter = old.replace("&gt;= 60", "&gt;= 70").replace("&lt; 60", "&lt; 70")
    [version] = api.deploy({"rating.bpmn": RATE_BPMN, "rate.dmn": stricter}, note="合格线提高到 70").created
    assert version.number == 2
    assert api.start("rating", data={"score": 65}).instance.data["result"] == "不合格"
    assert api.try_decision(api.diagram("rating", 1)["decisions"]["rate.dmn"], {"score": "65"})["outputs"] == {
        "result": "合格"}, "version 1 keeps its table"
    changes = api.compare_versions("rating", 1, 2)
    [changed] = changes["changed"]
    assert changed["id"] == "rate" and changed["type"] == "decision"
    assert changed["changes"]["rules.1"] == {"from": ">= 60 | \"合格\"", "to": ">= 70 | \"合格\""}


def test_the_grade_table_of_the_evaluation_is_a_policy_the_province_changes_without_code():
    bpmn, forms = api.read_files([str(LIFECYCLE / "performance_evaluation.bpmn")])
    assert "evaluation_grade.dmn" in bpmn
    api.deploy(bpmn, forms)
    grade = bpmn["evaluation_grade.dmn"].decode("utf-8")
    assert api.try_decision(grade, {"score": "89.9"}) == {
        "decision": "evaluation_grade", "outputs": {"grade_name": "良好"}, "rows": [2], "applied": [2]}
    assert api.decision_inputs(grade) == [{"name": "score", "label": "评价得分", "type": "number"}]
    stricter = grade.replace("&gt;= 90", "&gt;= 95").replace("[80..90[", "[80..95[")
    [version] = api.deploy({**bpmn, "evaluation_grade.dmn": stricter}, forms, note="优秀线 95").created
    assert version.definition.key == "performance_evaluation" and version.number == 2
    assert api.try_decision(api.diagram("performance_evaluation", 2)["decisions"]["evaluation_grade.dmn"],
                            {"score": "92"})["outputs"] == {"grade_name": "良好"}


def test_trying_a_table_says_what_is_wrong_with_the_sample_or_the_table():
    dmn = table(rules=[((">= 80",), ('"B"',)), ((">= 60",), ('"C"',))])
    with pytest.raises(InvalidInput) as refused:
        api.try_decision(dmn, {"score": "八十"})
    assert refused.value.errors == {"score": "“八十”不是数字"}
    with pytest.raises(InvalidInput) as refused:
        api.try_decision(dmn, {"score": "85"})
    assert refused.value.errors["decision"].startswith("决策表“费率”的第 1、2 条规则同时适用")
    with pytest.raises(InvalidDefinition):
        api.try_decision(dmn.replace("&gt;= 80", "[80.."), {"score": "85"})
    with pytest.raises(InvalidDefinition):
        api.try_decision("<definitions", {})


def test_the_command_line_validates_and_deploys_a_diagram_with_its_decision(tmp_path):
    (tmp_path / "rating.bpmn").write_text(RATE_BPMN, encoding="utf-8")
    (tmp_path / "rate.dmn").write_text(table(rules=[(('"x"',), ('"ok"',))]).replace('"x"', "[0..1"),
                                       encoding="utf-8")
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("bpmn", "validate", str(tmp_path / "rating.bpmn"), stdout=out, stderr=StringIO())
    assert "rate.dmn:" in out.getvalue() and "看不懂" in out.getvalue()
    (tmp_path / "rate.dmn").write_text(table(rules=[((">= 0",), ('"ok"',))]), encoding="utf-8")
    out = StringIO()
    call_command("bpmn", "deploy", str(tmp_path / "rating.bpmn"), stdout=out)
    assert api.start("rating", data={"score": 1}).instance.data["result"] == "ok"
