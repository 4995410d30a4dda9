"""Every validation layer reports file:line: message, and nothing is stored when a check fails."""
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import translation

from engine import api
from engine.api import deploy
from engine.errors import InvalidDefinition
from engine.models import DefinitionVersion, ProcessDefinition

from .conftest import BPMN_DIR

pytestmark = pytest.mark.django_db

REVIEW = (BPMN_DIR / "review.bpmn").read_text(encoding="utf-8")
REVIEW_PLAN = 'id="review_plan"'
DUE_DATE = 'name="dueDate"'
TALLY = 'id="tally"'
FORMS = {name: (BPMN_DIR / "forms" / name).read_text(encoding="utf-8") for name in ("plan.form", "review.form")}


def problems_of(bpmn, forms=FORMS, name="review.bpmn"):
    with pytest.raises(InvalidDefinition) as err:
        deploy({name: bpmn}, forms)
    assert not DefinitionVersion.objects.exists(), "a failed deployment stores nothing"
    return [str(p) for p in err.value.problems]


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_valid_files_deploy_and_identical_content_creates_nothing():
    first = deploy({"review.bpmn": REVIEW}, FORMS, note="v1", actor="owner")
    assert [(v.definition.key, v.number, v.deployed_by, v.note) for v in first.created] == [
        ("review", 1, "owner", "v1")]
    again = deploy({"review.bpmn": REVIEW}, FORMS, note="same")
    assert again.created == [] and [v.number for v in again.unchanged] == [1]
    changed = deploy({"review.bpmn": REVIEW.replace("编写年度计划", "编制年度计划")}, FORMS, note="rename")
    assert [v.number for v in changed.created] == [2]
    assert ProcessDefinition.objects.get(key="review").latest.number == 2


def test_a_diagram_saved_again_with_another_layout_or_formatting_is_no_change():
    deploy({"review.bpmn": REVIEW}, FORMS, note="v1")
    reformatted = REVIEW.replace("><", ">\n    <").replace('isExecutable="true"', 'isExecutable="true" ')
    forms = {name: json.dumps(json.loads(text), indent=4, ensure_ascii=True) for name, text in FORMS.items()}
    again = deploy({"review.bpmn": reformatted}, forms, note="saved by another tool")
    assert again.created == [] and [v.number for v in again.unchanged] == [1]
    drawn = (BPMN_DIR / "county_review.bpmn").read_text(encoding="utf-8")
    deploy({"county_review.bpmn": drawn}, FORMS, note="v1")
    moved = drawn.replace('<dc:Bounds x="', '<dc:Bounds x="1', 1)
    assert moved != drawn and deploy({"county_review.bpmn": moved}, FORMS).created == []
    retitled = deploy({"review.bpmn": reformatted.replace("编写年度计划", "编制年度计划")}, forms, note="rename")
    assert [v.number for v in retitled.created] == [2], "a change of meaning still makes a version"


def test_not_well_formed_xml():
    broken = REVIEW.replace("</bpmn:userTask>", "</bpmn:usertask>", 1)
    [problem] = problems_of(broken)
    assert problem.startswith(f"review.bpmn:{line_of(broken, '</bpmn:usertask>')}: not well-formed XML")


@pytest.mark.parametrize("payload", [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x>&a;</x>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
])
def test_entities_and_doctypes_are_refused(payload):
    [problem] = problems_of(payload)
    assert "DOCTYPE and ENTITY declarations are not allowed" in problem


@pytest.mark.parametrize("encoding, problem", [
    ("GBK", "review.bpmn:6: not UTF-8 (byte 484 cannot be read)"),  # the first Chinese name
    ("ISO-8859-1", "review.bpmn:1: declares the encoding ISO-8859-1; save the file as UTF-8"),
])
def test_validating_and_deploying_read_a_file_alike(encoding, problem):
    text = REVIEW.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    content = text.encode("gbk") if encoding == "GBK" else text.encode("ascii", "xmlcharrefreplace")
    for check in (api.validate, api.deploy):
        with pytest.raises(InvalidDefinition) as refused:
            check({"review.bpmn": content}, FORMS)
        assert problem in str(refused.value), check
    assert not DefinitionVersion.objects.exists()


def test_size_limit(settings):
    settings.ENGINE = {**settings.ENGINE, "MAX_BPMN_BYTES": 1000}
    [problem] = problems_of(REVIEW)
    assert "the limit is 1000" in problem


def test_schema_violation_has_its_line():
    broken = REVIEW.replace('<bpmn:endEvent id="done">', '<bpmn:endEvent id="done" bogus="1">')
    problems = problems_of(broken)
    assert problems == [f"review.bpmn:{line_of(broken, 'bogus=')}: BPMN 格式不符合标准：Element "
                        "'{http://www.omg.org/spec/BPMN/20100524/MODEL}endEvent', attribute 'bogus': "
                        "The attribute 'bogus' is not allowed."]


def test_dangling_references():
    broken = REVIEW.replace('<bpmn:sequenceFlow id="f4" sourceRef="review_plan" targetRef="decide" />',
                            '<bpmn:sequenceFlow id="f4" sourceRef="review_plan" targetRef="nowhere" />')
    assert problems_of(broken) == [f"review.bpmn:{line_of(broken, 'nowhere')}: “f4”的 targetRef "
                                   "指向本文件中不存在的元素“nowhere”：请重新连线或删除这条引用"]
    deadline = (BPMN_DIR / "deadline.bpmn").read_text(encoding="utf-8")
    broken = deadline.replace('attachedToRef="place_workers" cancelActivity="true"', 'attachedToRef="ghost"')
    [problem] = problems_of(broken, {}, name="deadline.bpmn")
    assert problem.endswith("“15 working days”的 attachedToRef 指向本文件中不存在的元素“ghost”：请重新连线或删除这条引用")


def test_spiffworkflow_parser_problem():
    broken = REVIEW.replace('<bpmn:sequenceFlow id="f_ok" sourceRef="decide" targetRef="done" />',
                            '<bpmn:sequenceFlow id="f_ok" sourceRef="decide" targetRef="done" />'
                            '<bpmn:sequenceFlow id="f_x" sourceRef="tally" targetRef="tally" />')
    assert problems_of(broken) == [f"review.bpmn:{line_of(broken, TALLY)}: Multiple outgoing flows are "
                                   "not supported for tasks of type bpmn:scriptTask 'Count revisions'"]


def test_user_task_lane_must_name_an_office_role():
    broken = REVIEW.replace('name="市(州)民政局"', 'name="街道办"')
    [problem] = problems_of(broken)
    assert problem == (f"review.bpmn:{line_of(broken, REVIEW_PLAN)}: 人工任务“审核年度计划”所在的泳道“街道办”不是已知的"
                       "办理单位；可选：省民政厅、省财政厅、市(州)民政局、县(市、区)民政局、社工站、承接社会组织、评标委员会/第三方评估机构")


def test_user_task_outside_any_lane():
    broken = REVIEW.replace("<bpmn:flowNodeRef>write_plan</bpmn:flowNodeRef>", "")
    [problem] = problems_of(broken)
    assert problem.endswith("人工任务“编写年度计划”不在任何泳道中：请把它放进办理单位的泳道")


def test_condition_expression_must_compile():
    broken = REVIEW.replace('decision == "return"', 'decision == = "return"')
    [problem] = problems_of(broken)
    # A flow without a name is named by the elements it joins.
    assert problem == (f"review.bpmn:{line_of(broken, '== =')}: “decide → 编写年度计划 的连线”的条件写法有误"
                       "（invalid syntax）：请检查括号、引号和逗号是否成对、完整")


def test_timer_expression_must_compile():
    text = (BPMN_DIR / "deadline.bpmn").read_text(encoding="utf-8")
    broken = text.replace("add_workdays(signed_on, 15)</bpmn:timeDate>", "add_workdays(signed_on 15)</bpmn:timeDate>")
    [problem] = problems_of(broken, {}, name="deadline.bpmn")
    assert problem.startswith(f"deadline.bpmn:{line_of(broken, 'signed_on 15')}: “15 working days”的定时表达式写法有误")


@pytest.mark.parametrize("script, message", [
    ("import os", "imports are not allowed"),
    ("x = ().__class__.__mro__", "names starting with '_' are not allowed"),
    ("y = 1\nz = '{0.__class__}'.format(1)", "format"),
])
def test_scripts_are_checked_against_the_sandbox(script, message):
    broken = REVIEW.replace("revisions = revisions + 1", script)
    [problem] = problems_of(broken)
    expected_line = line_of(broken, script.splitlines()[-1])
    assert problem.startswith(f"review.bpmn:{expected_line}: “Count revisions”的脚本不能这样写：")
    assert message in problem


def test_due_date_expression_is_checked():
    broken = REVIEW.replace("add_workdays(now(), 5)", "add_workdays(now(), 5")
    [problem] = problems_of(broken)
    assert problem.startswith(f"review.bpmn:{line_of(broken, DUE_DATE)}: “编写年度计划”的办理期限表达式写法有误")


def test_missing_form():
    [problem] = problems_of(REVIEW, {"plan.form": FORMS["plan.form"]})
    assert problem == (f"review.bpmn:{line_of(REVIEW, REVIEW_PLAN)}: 人工任务“审核年度计划”使用的表单“review”不存在："
                       "请在表单编辑器中创建，或改用已有的表单")


def test_invalid_form():
    form = json.loads(FORMS["review.form"])
    form["components"][0]["type"] = "slider3d"
    problems = problems_of(REVIEW, {**FORMS, "review.form": json.dumps(form)})
    assert any(p.startswith("review.form") and "slider3d" in p for p in problems)


def test_form_that_is_not_json():
    [problem] = problems_of(REVIEW, {**FORMS, "review.form": '{"id": "review",\n  components: []}'})
    assert problem.startswith("review.form:2: 不是有效的 JSON：")


def test_called_process_must_exist():
    text = (BPMN_DIR / "stations.bpmn").read_text(encoding="utf-8")
    [problem] = problems_of(text, {}, name="stations.bpmn")
    assert problem == (f"stations.bpmn:{line_of(text, 'calledElement=')}: 调用活动“Station service”调用的流程"
                       "“station_service”既不在这些文件中，也尚未部署")


def test_called_process_already_deployed_is_found():
    deploy({"station_service.bpmn": (BPMN_DIR / "station_service.bpmn").read_bytes()})
    result = deploy({"stations.bpmn": (BPMN_DIR / "stations.bpmn").read_bytes()})
    version = result.created[0]
    assert sorted(f.name for f in version.files.all()) == ["station_service.bpmn", "stations.bpmn"]


def test_unknown_service_handler():
    text = (BPMN_DIR / "service.bpmn").read_text(encoding="utf-8").replace("test.budget_lookup", "no.such.handler")
    [problem] = problems_of(text, {}, name="service.bpmn")
    assert problem.endswith("服务任务“Look up budget”调用的处理程序“no.such.handler”未注册：请从处理程序列表中选择")


def test_all_problems_are_reported_together():
    broken = REVIEW.replace("revisions = revisions + 1", "import os").replace(
        'decision == "return"', 'decision ==')
    assert len(problems_of(broken)) == 2


def test_validate_command_exit_codes_and_lines(tmp_path):
    good = subprocess.run([sys.executable, "manage.py", "bpmn", "validate", str(BPMN_DIR / "review.bpmn")],
                          cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "valid: review" in good.stdout
    bad = tmp_path / "bad.bpmn"
    bad.write_text(REVIEW.replace("revisions = revisions + 1", "import os"), encoding="utf-8")
    (tmp_path / "forms").mkdir()
    for name, text in FORMS.items():
        (tmp_path / "forms" / name).write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "manage.py", "bpmn", "validate", str(bad)],
                            cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.startswith(f"bad.bpmn:{line_of(bad.read_text(), 'import os')}: “Count revisions”的脚本不能这样写")
    assert "Traceback" not in result.stdout + result.stderr


def test_problems_are_in_english_when_english_is_asked_for():
    unclosed = REVIEW.replace("add_workdays(now(), 5)", "add_workdays(now(), 5")
    outside = REVIEW.replace("<bpmn:flowNodeRef>write_plan</bpmn:flowNodeRef>", "")
    with translation.override("en"):
        problems = problems_of(unclosed) + problems_of(outside)
    assert any(p.endswith("user task '编写年度计划' is in no lane; its lane must name an office role")
               for p in problems), problems
    assert any("due date expression of '编写年度计划' does not compile ('(' was never closed)" in p
               for p in problems), problems


def test_every_stage_reports_at_once_a_broken_condition_and_a_task_in_no_lane():
    broken = REVIEW.replace('decision == "return"', 'decision == = "return"').replace(
        "<bpmn:flowNodeRef>write_plan</bpmn:flowNodeRef>", "")
    problems = problems_of(broken)
    assert len(problems) == 2, problems
    assert any("条件写法有误" in p for p in problems) and any("不在任何泳道中" in p for p in problems)


def test_a_schema_error_in_one_file_does_not_hide_the_problems_of_another():
    broken = REVIEW.replace('<bpmn:endEvent id="done">', '<bpmn:endEvent id="done" bogus="1">')
    service = (BPMN_DIR / "service.bpmn").read_text(encoding="utf-8").replace("test.budget_lookup", "no.such")
    with pytest.raises(InvalidDefinition) as refused:
        api.validate({"review.bpmn": broken, "service.bpmn": service}, FORMS)
    found = [str(p) for p in refused.value.problems]
    assert any(p.startswith("review.bpmn") and "bogus" in p for p in found), found
    assert any(p.startswith("service.bpmn") and "“no.such”未注册" in p for p in found), found


def test_no_executable_process_is_located_at_the_process():
    text = REVIEW.replace('isExecutable="true"', 'isExecutable="false"')
    [problem] = problems_of(text)
    assert problem == (f"review.bpmn:{line_of(text, 'isExecutable=')}: 这些文件中没有可执行的流程（isExecutable=\"true\"）")


DATA_STORE = ('<bpmn:property id="tally_input" name="__targetRef_placeholder" />'
              '<bpmn:dataInputAssociation id="read_archive"><bpmn:sourceRef>archive</bpmn:sourceRef>'
              '<bpmn:targetRef>tally_input</bpmn:targetRef></bpmn:dataInputAssociation>')


@pytest.mark.parametrize("change, element, says", [
    (lambda t: t.replace('<bpmn:exclusiveGateway id="decide" default="f_ok">', '<bpmn:complexGateway id="decide" '
                         'default="f_ok">').replace("</bpmn:exclusiveGateway>", "</bpmn:complexGateway>"),
     "decide", "“decide”是复杂网关，本引擎不能运行：请改用排他、并行或包容网关"),
    (lambda t: t.replace('<bpmn:endEvent id="done">', '<bpmn:boundaryEvent id="undo" name="撤销计数" '
                         'attachedToRef="tally"><bpmn:compensateEventDefinition id="undo_def" />'
                         '</bpmn:boundaryEvent><bpmn:endEvent id="done">'),
     "undo", "“撤销计数”是补偿事件，本引擎不能运行补偿"),
    (lambda t: t.replace('<bpmn:endEvent id="done">', '<bpmn:subProcess id="on_error" triggeredByEvent="true">'
                         '<bpmn:startEvent id="caught" name="计数出错"><bpmn:errorEventDefinition id="caught_def" />'
                         '</bpmn:startEvent></bpmn:subProcess><bpmn:endEvent id="done">'),
     "caught", "“计数出错”是错误或上报开始事件，本引擎不能按它启动事件子流程"),
    (lambda t: t.replace("<bpmn:outgoing>f3</bpmn:outgoing>", "<bpmn:outgoing>f3</bpmn:outgoing>" + DATA_STORE).replace(
        '<bpmn:endEvent id="done">', '<bpmn:dataStoreReference id="archive" name="档案库" /><bpmn:endEvent id="done">'),
     "archive", "数据存储“档案库”在本引擎中没有实现"),
])
def test_what_spiffworkflow_cannot_run_is_refused_at_its_element(change, element, says):
    broken = change(REVIEW)
    with pytest.raises(InvalidDefinition) as refused:
        api.validate({"review.bpmn": broken}, FORMS)
    [problem] = refused.value.problems
    assert problem.element == element and says in problem.message and problem.line


def test_a_data_store_drawn_for_the_reader_only_is_accepted():
    drawn = REVIEW.replace('<bpmn:endEvent id="done">', '<bpmn:dataStoreReference id="archive" name="档案库" />'
                                                        '<bpmn:endEvent id="done">')
    assert api.validate({"review.bpmn": drawn}, FORMS) == ["review"]


def test_a_flow_out_of_a_deciding_gateway_needs_a_condition_unless_it_is_the_default():
    broken = REVIEW.replace('<bpmn:exclusiveGateway id="decide" default="f_ok">', '<bpmn:exclusiveGateway id="decide">')
    [problem] = problems_of(broken)
    line = line_of(broken, '<bpmn:sequenceFlow id="f_ok"')
    assert problem == (f"review.bpmn:{line}: 分支“decide”流向“done”的连线既没有条件也不是默认路径："
                       "请写上条件，或把它设为默认路径")
