"""engine.formjs: form-js schemas checked at deployment, submissions validated, and the FEEL conditions."""
import copy
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from engine import clock
from engine.formjs import check_schema, feel, validate_submission

EXAMPLE_PATH = Path(__file__).resolve().parent / "bpmn" / "forms" / "example_annual_plan.form"
EXAMPLE = json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


PLAN_FILE, BUDGET_FILE, PHOTO, SCAN_1, SCAN_2 = (str(uuid.UUID(int=n)) for n in range(1, 6))  # attachment ids


def example():
    return copy.deepcopy(EXAMPLE)


def submission(**changes):
    """What the form-js viewer submits for a complete annual plan, with `changes` applied."""
    data = {
        "organization_name": "阳光社工服务中心",
        "plan_title": "2025 年度社区养老服务计划",
        "plan_type": "renewal",
        "background": "辖区内独居老人较多，需要长期的上门探访与陪伴服务。",
        "budget_amount": 1234.5,
        "start_date": "2025-03-01",
        "station_count": 3,
        "services": ["case_work", "community_activity"],
        "budget_lines": [
            {"item": "社工人员费用", "category": "personnel", "amount": 1000},
            {"item": "场地布置", "category": "other", "amount": "234.50", "note": "社区活动中心"},
        ],
        "budget_lines_total": 1234.5,
        "needs_venue": True,
        "venue_description": "社区活动中心二楼多功能厅",
        "contact": {"name": "李敏", "phone": "13812345678", "email": "limin@example.org.cn"},
        "attachments": [{"id": PLAN_FILE, "name": "年度计划书.pdf", "size": 204800, "type": "application/pdf"}],
    }
    data.update(changes)
    return data


def errors_of(data, schema=None, **kwargs):
    return validate_submission(schema or example(), data, **kwargs)[1]


def cleaned_of(data, schema=None, **kwargs):
    cleaned, errors = validate_submission(schema or example(), data, **kwargs)
    assert errors == {}
    return cleaned


def form(*components):
    return {"type": "default", "id": "t", "components": list(components)}


# --- the example form --------------------------------------------------------------------------

def test_example_form_is_a_current_form_js_schema_without_problems():
    assert EXAMPLE["type"] == "default"
    assert EXAMPLE["id"] == EXAMPLE_PATH.stem
    assert EXAMPLE["schemaVersion"] == 19
    assert EXAMPLE["exporter"]["name"].startswith("form-js")
    assert check_schema(EXAMPLE, EXAMPLE_PATH.name) == []


def test_valid_submission_is_cleaned():
    cleaned, errors = validate_submission(example(), submission())
    assert errors == {}
    assert cleaned == {
        # organization_name is readonly and budget_lines_total an expression: neither is kept.
        "plan_title": "2025 年度社区养老服务计划",
        "plan_type": "renewal",
        "background": "辖区内独居老人较多，需要长期的上门探访与陪伴服务。",
        "budget_amount": Decimal("1234.50"),
        "start_date": "2025-03-01",
        "station_count": 3,
        "services": ["case_work", "community_activity"],
        "budget_lines": [
            {"item": "社工人员费用", "category": "personnel", "amount": Decimal("1000.00")},
            {"item": "场地布置", "category": "other", "amount": Decimal("234.50"), "note": "社区活动中心"},
        ],
        "needs_venue": True,
        "venue_description": "社区活动中心二楼多功能厅",
        "contact": {"name": "李敏", "phone": "13812345678", "email": "limin@example.org.cn"},
        "attachments": [{"id": PLAN_FILE, "name": "年度计划书.pdf", "size": 204800, "type": "application/pdf"}],
    }
    # Money keeps its two places; counts are plain ints.
    assert str(cleaned["budget_amount"]) == "1234.50"
    assert [str(line["amount"]) for line in cleaned["budget_lines"]] == ["1000.00", "234.50"]
    assert type(cleaned["station_count"]) is int


def test_unknown_and_computed_fields_are_dropped():
    data = submission(is_admin=True, typename="BpmnWorkflow", _secret=1, budget_lines_total=99999)
    data["contact"]["department"] = "x"
    data["budget_lines"][0]["approved"] = True
    cleaned = cleaned_of(data)
    assert not {"is_admin", "typename", "_secret", "budget_lines_total", "organization_name"} & cleaned.keys()
    assert set(cleaned["contact"]) == {"name", "phone", "email"}
    assert set(cleaned["budget_lines"][0]) == {"item", "category", "amount"}


def test_missing_optional_fields_get_form_js_empty_values():
    data = submission(needs_venue=False)
    for key in ("station_count", "attachments", "venue_description"):
        del data[key]
    data["contact"] = {"name": "李敏"}
    cleaned = cleaned_of(data)
    assert cleaned["station_count"] is None
    assert cleaned["attachments"] == []
    assert cleaned["contact"] == {"name": "李敏", "phone": "", "email": ""}


# --- required ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key, empty, message", [
    ("plan_title", "", "「计划名称」为必填项"),
    ("plan_type", None, "「计划类型」为必填项"),
    ("background", "", "「背景」为必填项"),
    ("budget_amount", None, "「预算金额」为必填项"),
    ("budget_amount", "", "「预算金额」为必填项"),
    ("start_date", "", "「开始日期」为必填项"),
    ("services", [], "「服务内容」为必填项"),
])
def test_required_fields(key, empty, message):
    assert errors_of(submission(**{key: empty})) == {key: message}
    missing = submission()
    del missing[key]
    assert errors_of(missing) == {key: message}


def test_required_inside_a_group_and_a_list_row():
    data = submission(contact={"phone": "13812345678"})
    data["budget_lines"][1]["amount"] = None
    assert errors_of(data) == {"contact.name": "「姓名」为必填项", "budget_lines[1].amount": "「金额」为必填项"}


def test_required_checkbox_must_be_checked():
    schema = form({"type": "checkbox", "key": "agree", "label": "我已阅读并同意", "validate": {"required": True}})
    assert errors_of({"agree": False}, schema) == {"agree": "「我已阅读并同意」为必填项"}
    assert cleaned_of({"agree": True}, schema) == {"agree": True}


# --- numbers and money ------------------------------------------------------------------------

@pytest.mark.parametrize("sent, kept", [
    (1234.5, "1234.50"),
    ("1.20", "1.20"),
    ("1.2", "1.20"),
    (1200, "1200.00"),
    ("0", "0.00"),
    (" 88.8 ", "88.80"),
    ("1.200", "1.20"),  # form-js counts significant decimals, as Big.js does
    # As Chinese officials write amounts, read as the browser reads them (webui/frontend/forms/amounts.js).
    ("600,000", "600000.00"),
    ("1,234,567.89", "1234567.89"),
    ("60万", "600000.00"),
    ("1.5万元", "15000.00"),
    ("600000元", "600000.00"),
    ("0.0001万", "1.00"),
])
def test_money_is_a_decimal_with_two_places(sent, kept):
    value = cleaned_of(submission(budget_amount=sent))["budget_amount"]
    assert isinstance(value, Decimal)
    assert str(value) == kept


@pytest.mark.parametrize("sent, message", [
    (1.234, "「预算金额」最多两位小数"),
    ("1.001", "「预算金额」最多两位小数"),
    (-0.01, "「预算金额」不能小于 0"),
    ("abc", "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    ("600,00", "「预算金额」必须是数字，例如 600000、600,000 或 60万"),  # not thousands: the server does not guess
    ("60千", "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    (True, "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    ("NaN", "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    (float("inf"), "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    ([1], "「预算金额」必须是数字，例如 600000、600,000 或 60万"),
    ("1e20", "「预算金额」的数值过大"),
])
def test_money_that_is_refused(sent, message):
    assert errors_of(submission(budget_amount=sent)) == {"budget_amount": message}


@pytest.mark.parametrize("sent, message", [
    (2.5, "「服务站数量」必须是整数"),
    (0, "「服务站数量」不能小于 1"),
    (51, "「服务站数量」不能大于 50"),
])
def test_integer_field_rules(sent, message):
    assert errors_of(submission(station_count=sent)) == {"station_count": message}


@pytest.mark.parametrize("sent", [3, 3.0, "3", "3.00"])
def test_integer_field_gives_an_int(sent):
    value = cleaned_of(submission(station_count=sent))["station_count"]
    assert value == 3 and type(value) is int


def test_number_without_decimal_digits_is_int_or_exact_decimal():
    schema = form({"type": "number", "key": "ratio", "label": "比例"})
    assert type(cleaned_of({"ratio": 2}, schema)["ratio"]) is int
    assert cleaned_of({"ratio": 0.1}, schema)["ratio"] == Decimal("0.1")
    assert isinstance(cleaned_of({"ratio": "2.50"}, schema)["ratio"], Decimal)


def test_number_increment_and_expression_bounds():
    schema = form(
        {"type": "number", "key": "budget", "label": "预算"},
        {"type": "number", "key": "deposit", "label": "保证金", "increment": "0.5",
         "validate": {"max": "=budget / 10"}},
    )
    assert cleaned_of({"budget": 100, "deposit": 9.5}, schema)["deposit"] == Decimal("9.5")
    assert errors_of({"budget": 100, "deposit": 9.3}, schema) == {"deposit": "「保证金」必须是 0.5 的整数倍"}
    assert errors_of({"budget": 50, "deposit": 9.5}, schema) == {"deposit": "「保证金」不能大于 5"}
    # No budget: the bound cannot be computed, and the browser refuses the value as well.
    assert errors_of({"deposit": 9.5}, schema) == {"deposit": "「保证金」的校验规则无法计算，请联系管理员"}


# --- text -------------------------------------------------------------------------------------

def test_text_length_pattern_and_email():
    assert errors_of(submission(plan_title="计" * 51)) == {"plan_title": "「计划名称」最多 50 个字符"}
    assert "plan_title" not in errors_of(submission(plan_title="计" * 50))
    assert errors_of(submission(background="太短了")) == {"background": "「背景」至少需要 10 个字符"}
    # Like the browser, lengths count the trimmed text.
    assert errors_of(submission(background="太短了" + " " * 20)) == {"background": "「背景」至少需要 10 个字符"}
    assert errors_of(submission(background=12345678901)) == {"background": "「背景」必须是文本"}
    contact = {"name": "李敏", "phone": "12345", "email": "limin@"}
    assert errors_of(submission(contact=contact)) == {
        "contact.phone": "请输入 11 位手机号码",  # the form's own patternErrorMessage
        "contact.email": "「电子邮箱」必须是有效的电子邮箱地址",
    }


def test_lengths_count_like_the_browser():
    schema = form({"type": "textfield", "key": "motto", "label": "口号", "validate": {"maxLength": 3}})
    assert cleaned_of({"motto": "同心圆"}, schema) == {"motto": "同心圆"}
    # JavaScript counts UTF-16 units: an emoji is two.
    assert errors_of({"motto": "😀😀"}, schema) == {"motto": "「口号」最多 3 个字符"}


def test_pattern_end_anchor_matches_only_the_very_end():
    contact = {"name": "李敏", "phone": "13812345678\n"}
    assert errors_of(submission(contact=contact)) == {"contact.phone": "请输入 11 位手机号码"}


def test_patterns_are_matched_in_linear_time_and_named_groups_work_as_in_the_browser():
    # Exponential for a backtracking engine, yet not of the nested form refused at deployment.
    slow = form({"type": "textfield", "key": "code", "label": "编号", "validate": {"pattern": "^(a|aa)+$"}})
    assert check_schema(slow, "t.form") == []
    assert errors_of({"code": "a" * 60 + "b"}, slow) == {"code": "「编号」的格式不正确"}
    named = form({"type": "textfield", "key": "year", "label": "年度", "validate": {"pattern": r"^(?<year>\d{4})$"}})
    assert check_schema(named, "t.form") == [] and errors_of({"year": "2027"}, named) == {}
    chinese = form({"type": "textfield", "key": "name", "label": "姓名", "validate": {"pattern": r"^[\u4e00-\u9fa5]{2,4}$"}})
    assert errors_of({"name": "张三"}, chinese) == {} and errors_of({"name": "Li"}, chinese) == {"name": "「姓名」的格式不正确"}


def test_a_pattern_deployed_before_it_was_refused_asks_for_the_administrator():
    old = form({"type": "textfield", "key": "code", "label": "编号", "validate": {"pattern": "^(a+)+$"}})
    assert errors_of({"code": "aaaa"}, old) == {"code": "「编号」的校验规则无法计算，请联系管理员"}


def test_pattern_digits_are_ascii_and_default_message():
    schema = form({"type": "textfield", "key": "code", "label": "编号", "validate": {"pattern": r"^\d{4}$"}})
    assert cleaned_of({"code": "2025"}, schema) == {"code": "2025"}
    assert errors_of({"code": "２０２５"}, schema) == {"code": "「编号」的格式不正确"}


def test_phone_validation_type():
    schema = form({"type": "textfield", "key": "tel", "label": "电话", "validate": {"validationType": "phone"}})
    assert cleaned_of({"tel": "+8613812345678"}, schema) == {"tel": "+8613812345678"}
    assert errors_of({"tel": "13812345678"}, schema) == {"tel": "「电话」必须是有效的国际电话号码，例如 +8613800000000"}


# --- choices, dates, checkboxes -----------------------------------------------------------------

@pytest.mark.parametrize("changes, errors", [
    ({"plan_type": "extension"}, {"plan_type": "「计划类型」的选项无效"}),
    ({"plan_type": {"typename": "BpmnWorkflow"}}, {"plan_type": "「计划类型」的选项无效"}),
    ({"services": ["case_work", "fundraising"]}, {"services": "「服务内容」包含无效的选项"}),
    ({"services": "case_work"}, {"services": "「服务内容」包含无效的选项"}),
    ({"needs_venue": "yes"}, {"needs_venue": "「需要租用场地」只能是“是”或“否”"}),
    ({"start_date": "2025-02-30"}, {"start_date": "「开始日期」必须是有效的日期（YYYY-MM-DD）"}),
    ({"start_date": "2025/03/01"}, {"start_date": "「开始日期」必须是有效的日期（YYYY-MM-DD）"}),
    ({"start_date": "2025-03-01T09:00"}, {"start_date": "「开始日期」必须是有效的日期（YYYY-MM-DD）"}),
])
def test_choice_date_and_checkbox_rules(changes, errors):
    assert errors_of(submission(**changes)) == errors


def test_option_values_compare_as_json_values():
    schema = form({"type": "select", "key": "level", "label": "等级",
                   "values": [{"label": "一级", "value": 1}, {"label": "二级", "value": 2}]})
    assert cleaned_of({"level": 2}, schema) == {"level": 2}
    assert errors_of({"level": "2"}, schema) == {"level": "「等级」的选项无效"}
    assert errors_of({"level": True}, schema) == {"level": "「等级」的选项无效"}


def test_time_and_datetime_subtypes():
    schema = form({"type": "datetime", "subtype": "time", "key": "at", "timeLabel": "集合时间"},
                  {"type": "datetime", "subtype": "datetime", "key": "when", "dateLabel": "活动时间"})
    ok = {"at": "09:30+08:00", "when": "2025-03-01T09:30Z"}
    assert cleaned_of(ok, schema) == ok
    assert cleaned_of({"at": "09:30", "when": "2025-03-01T09:30"}, schema)["at"] == "09:30"
    assert errors_of({"at": "25:00", "when": "2025-03-01"}, schema) == {
        "at": "「集合时间」必须是有效的时间（HH:MM）",
        "when": "「活动时间」必须是有效的日期时间（YYYY-MM-DDTHH:MM）",
    }


def test_dates_in_the_past_are_refused_when_the_form_says_so():
    schema = form({"type": "datetime", "subtype": "date", "key": "visit", "dateLabel": "走访日期",
                   "disallowPassedDates": True})
    clock.set_time(datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc))  # 09:00 in China
    assert cleaned_of({"visit": "2025-03-01"}, schema) == {"visit": "2025-03-01"}
    assert errors_of({"visit": "2025-02-28"}, schema) == {"visit": "「走访日期」不能早于今天"}


# --- attachments ------------------------------------------------------------------------------

def test_attachment_references_keep_only_known_keys():
    sent = [{"id": PLAN_FILE, "name": "预算表.xlsx", "url": "https://elsewhere.example", "typename": "x"}, BUDGET_FILE]
    assert cleaned_of(submission(attachments=sent))["attachments"] == [{"id": PLAN_FILE, "name": "预算表.xlsx"},
                                                                       BUDGET_FILE]
    single = {"id": PHOTO, "name": "照片.jpg"}
    assert cleaned_of(submission(attachments=single))["attachments"] == [single]


@pytest.mark.parametrize("sent", [
    [{"name": "无编号.pdf"}],
    [{"id": PLAN_FILE, "name": ""}],
    [{"id": PLAN_FILE, "name": "x", "size": "1k"}],
    [{"id": True, "name": "x"}],
    [{"id": 7, "name": "x"}],
    [{"id": "att-7f3a", "name": "x"}],  # not an attachment id
    ["3F1C2A9E-5B7D-4C1E-9A2B-00000000ABCD"],  # ids are written in lower case
    ["files::2"],
    42,
    [[]],
])
def test_malformed_attachment_references(sent):
    assert errors_of(submission(attachments=sent)) == {"attachments": "「附件」必须是已上传的附件"}


def test_single_file_picker_and_required_attachments():
    schema = form({"type": "filepicker", "key": "scan", "label": "签字扫描件", "validate": {"required": True}})
    assert errors_of({"scan": []}, schema) == {"scan": "「签字扫描件」为必填项"}
    assert errors_of({"scan": [SCAN_1, SCAN_2]}, schema) == {"scan": "「签字扫描件」只能上传一个文件"}
    schema["components"][0]["multiple"] = "=many"
    two = [SCAN_1, SCAN_2]
    assert cleaned_of({"scan": two}, schema, context={"many": True})["scan"] == two


def test_attachments_must_be_ones_the_caller_accepts():
    schema = form({"type": "filepicker", "key": "scan", "label": "签字扫描件", "multiple": True})
    asked = []

    def known(ids):
        asked.append(set(ids))
        return {SCAN_1}

    assert cleaned_of({"scan": [SCAN_1]}, schema, attachments=known)["scan"] == [SCAN_1]
    assert errors_of({"scan": [SCAN_1, {"id": SCAN_2, "name": "b.pdf"}]}, schema, attachments=known) == {
        "scan": "「签字扫描件」中有附件不存在，或不是为本任务上传的"}
    assert asked == [{SCAN_1}, {SCAN_1, SCAN_2}]
    with translation.override("en"):
        assert errors_of({"scan": [SCAN_2]}, schema, attachments=known) == {
            "scan": "\"签字扫描件\" names an attachment that does not exist or was not uploaded for this task"}


# --- conditions, groups, lists, readonly ------------------------------------------------------

def test_hidden_field_is_neither_required_nor_kept():
    data = submission(needs_venue=False)
    assert "venue_description" not in cleaned_of(data)
    del data["venue_description"]
    assert errors_of(data) == {}
    missing = submission()
    del missing["venue_description"]
    assert errors_of(missing) == {"venue_description": "「场地说明」为必填项"}


def test_conditions_in_list_rows_read_this_row():
    data = submission()
    data["budget_lines"][0]["note"] = "人员说明"  # hidden for personnel: dropped
    del data["budget_lines"][1]["note"]  # shown for "other": required
    assert errors_of(data) == {"budget_lines[1].note": "「说明」为必填项"}
    data["budget_lines"][1]["note"] = "场地"
    assert "note" not in cleaned_of(data)["budget_lines"][0]


def test_list_row_errors_are_located_by_index():
    data = submission()
    data["budget_lines"].append({"item": "交通", "category": "activity", "amount": 12.345})
    data["budget_lines"].append("not a row")
    assert errors_of(data) == {
        "budget_lines[2].amount": "「金额」最多两位小数",
        "budget_lines[3]": "「预算明细」第 4 行的数据无效",
    }
    assert errors_of(submission(budget_lines={"item": "x"})) == {"budget_lines": "「预算明细」必须是列表"}
    assert cleaned_of(submission(budget_lines=None))["budget_lines"] == []


def test_nested_lists_and_parent():
    schema = form(
        {"type": "checkbox", "key": "pilot", "label": "试点项目"},
        {"type": "dynamiclist", "path": "stations", "isRepeating": True, "label": "服务站", "components": [
            {"type": "number", "key": "capacity", "label": "容量"},
            {"type": "dynamiclist", "path": "workers", "isRepeating": True, "label": "社工", "components": [
                {"type": "textfield", "key": "name", "label": "姓名", "validate": {"required": True}},
                {"type": "textfield", "key": "certificate", "label": "证书编号", "validate": {"required": True},
                 "conditional": {"hide": "=parent.capacity < 10"}},
                # As in form-js, `parent` is the whole context around the row: it has its own parent.
                {"type": "textfield", "key": "mentor", "label": "督导", "validate": {"required": True},
                 "conditional": {"hide": "=parent.parent.pilot != true"}},
            ]},
        ]},
    )
    data = {"pilot": False, "stations": [
        {"capacity": 5, "workers": [{"name": "王芳"}]},
        {"capacity": 20, "workers": [{"name": "赵强", "certificate": "S-1"}, {"name": ""}]},
    ]}
    assert errors_of(data, schema) == {
        "stations[1].workers[1].name": "「姓名」为必填项",
        "stations[1].workers[1].certificate": "「证书编号」为必填项",
    }
    data["pilot"] = True
    assert set(errors_of(data, schema)) == {"stations[0].workers[0].mentor", "stations[1].workers[0].mentor",
                                             "stations[1].workers[1].mentor", "stations[1].workers[1].name",
                                             "stations[1].workers[1].certificate"}


def test_a_value_sent_for_a_hidden_field_cannot_hide_another():
    schema = form(
        {"type": "checkbox", "key": "small_project", "label": "小额项目"},
        {"type": "select", "key": "exemption", "label": "豁免",
         "values": [{"label": "免交完整方案", "value": "waived"}, {"label": "不豁免", "value": "none"}],
         "conditional": {"hide": "=small_project != true"}},
        {"type": "textarea", "key": "full_plan", "label": "完整方案", "validate": {"required": True},
         "conditional": {"hide": "=exemption = \"waived\""}},
    )
    tampered = {"small_project": False, "exemption": "waived"}
    assert errors_of(tampered, schema) == {"full_plan": "「完整方案」为必填项"}
    assert cleaned_of({"small_project": True, "exemption": "waived"}, schema) == {
        "small_project": True, "exemption": "waived"}
    # Where the task already holds a value for the hidden field, the browser's conditions read that one.
    assert errors_of(tampered, schema, context={"exemption": "waived"}) == {}
    # Conditions hiding a field read the task's data as well.
    schema["components"][1]["conditional"]["hide"] = "=stage = \"closed\""
    assert errors_of({"exemption": "waived"}, schema, context={"stage": "closed"}) == {
        "full_plan": "「完整方案」为必填项"}


def test_conditions_see_converted_values():
    schema = form(
        {"type": "number", "key": "deposit", "label": "保证金", "decimalDigits": 2},
        {"type": "textarea", "key": "waiver_reason", "label": "免缴理由", "validate": {"required": True},
         "conditional": {"hide": "=deposit != 0"}},
    )
    # "0.00" is the number 0 to the browser, so the reason is asked for.
    assert errors_of({"deposit": "0.00"}, schema) == {"waiver_reason": "「免缴理由」为必填项"}
    assert cleaned_of({"deposit": "100", "waiver_reason": "x"}, schema) == {"deposit": Decimal("100.00")}


def test_a_dynamic_list_that_does_not_repeat_is_a_group():
    schema = form({"type": "dynamiclist", "path": "venue", "isRepeating": False, "components": [
        {"type": "textfield", "key": "address", "label": "地址", "validate": {"required": True}}]})
    assert cleaned_of({"venue": {"address": "文化路 1 号"}}, schema) == {"venue": {"address": "文化路 1 号"}}
    assert errors_of({"venue": [{"address": "x"}]}, schema) == {"venue.address": "「地址」为必填项"}


def test_group_without_path_is_flat_and_a_hidden_group_hides_its_fields():
    schema = form(
        {"type": "checkbox", "key": "has_partner", "label": "有合作方"},
        {"type": "group", "label": "合作方", "conditional": {"hide": "=has_partner = false"}, "components": [
            {"type": "textfield", "key": "partner_name", "label": "合作方名称", "validate": {"required": True}}]},
    )
    filled = {"has_partner": True, "partner_name": "启明"}
    assert cleaned_of(filled, schema) == filled
    assert cleaned_of({"has_partner": False, "partner_name": "启明"}, schema) == {"has_partner": False}
    assert errors_of({"has_partner": True}, schema) == {"partner_name": "「合作方名称」为必填项"}


def test_readonly_and_disabled_fields_are_left_to_the_task():
    assert "organization_name" not in cleaned_of(submission(organization_name="篡改的机构"))
    schema = form(
        {"type": "textfield", "key": "stage", "label": "阶段", "disabled": True},
        {"type": "number", "key": "score", "label": "评分", "validate": {"required": True},
         "readonly": "=stage = \"closed\""},
    )
    assert cleaned_of({"stage": "x", "score": 90}, schema, context={"stage": "open"}) == {"score": 90}
    assert cleaned_of({"score": "not even a number"}, schema, context={"stage": "closed"}) == {}
    assert errors_of({}, schema, context={"stage": "open"}) == {"score": "「评分」为必填项"}


def test_a_list_shown_to_read_is_left_to_the_task():
    # A reviewer's form shows the plan's budget lines readonly; the browser sends the rows back empty.
    schema = form(
        {"type": "dynamiclist", "path": "lines", "label": "预算明细", "isRepeating": True, "allowAddRemove": False,
         "components": [{"type": "textfield", "key": "item", "label": "支出项目", "readonly": True},
                        {"type": "number", "key": "amount", "label": "金额", "disabled": True}]},
        {"type": "select", "key": "decision", "label": "审核意见", "values": [{"label": "通过", "value": "approve"}]},
    )
    assert cleaned_of({"lines": [{}, {}], "decision": "approve"}, schema,
                      context={"lines": [{"item": "薪酬", "amount": 1}]}) == {"decision": "approve"}


def test_context_feeds_conditions_and_checks_values_key_options():
    schema = form(
        {"type": "select", "key": "org", "label": "承接机构", "valuesKey": "candidates"},
        {"type": "textarea", "key": "reason", "label": "退回理由", "validate": {"required": True},
         "conditional": {"hide": "=review_round < 2"}},
        {"type": "select", "key": "district", "label": "街道", "valuesExpression": "=districts"},
    )
    context = {"candidates": [{"label": "启明", "value": "org-1"}, "org-2"], "review_round": 2}
    assert errors_of({"org": "org-9", "district": "任意"}, schema, context=context) == {
        "org": "「承接机构」的选项无效", "reason": "「退回理由」为必填项"}
    assert cleaned_of({"org": "org-2", "reason": "预算不全"}, schema, context=context)["org"] == "org-2"
    # Without the task's data the options cannot be checked, and the condition sees no round.
    assert cleaned_of({"org": "org-9"}, schema) == {"org": "org-9", "district": None}
    # Unchecked options still hold plain values: an object could carry 'typename' into task data.
    assert errors_of({"district": {"typename": "x"}}, schema) == {"district": "「街道」的选项无效"}


def test_english_messages():
    data = submission(budget_amount=1.234, plan_type="x", background="")
    with translation.override("en-us"):
        assert errors_of(data) == {
            "budget_amount": '"预算金额" may have at most 2 decimal places',
            "plan_type": '"计划类型" is not one of the options',
            "background": '"背景" is required',
        }


@pytest.mark.parametrize("language, messages", [
    ("en", {"name": '"姓名" is required', "age": '"年龄" must be at most 60', "staff": '"人数" must be at least 1',
            "postcode": '"邮编" is not in the expected format'}),
    ("zh-hans", {"name": "「姓名」为必填项", "age": "「年龄」不能大于 60", "staff": "「人数」不能小于 1",
                 "postcode": "「邮编」的格式不正确"}),
])
def test_messages_are_in_the_active_language(language, messages):
    schema = form(
        {"type": "textfield", "key": "name", "label": "姓名", "validate": {"required": True}},
        {"type": "number", "key": "age", "label": "年龄", "validate": {"min": 18, "max": 60}},
        {"type": "number", "key": "staff", "label": "人数", "validate": {"min": 1}},
        {"type": "textfield", "key": "postcode", "label": "邮编", "validate": {"pattern": r"^\d{6}$"}},
    )
    with translation.override(language):
        assert errors_of({"age": 61, "staff": 0, "postcode": "55000"}, schema) == messages


def test_task_data_decides_whether_a_condition_hides_a_required_field():
    schema = form({"type": "textarea", "key": "rectification", "label": "整改说明", "validate": {"required": True},
                   "conditional": {"hide": "=inspection_result != \"failed\""}})
    assert cleaned_of({}, schema, context={"inspection_result": "passed"}) == {}
    assert errors_of({}, schema, context={"inspection_result": "failed"}) == {"rectification": "「整改说明」为必填项"}


def test_label_falls_back_to_the_key():
    schema = form({"type": "textfield", "key": "ref_no", "label": "={{name}}", "validate": {"required": True}})
    assert errors_of({}, schema) == {"ref_no": "「ref_no」为必填项"}


# --- schema problems --------------------------------------------------------------------------

def problems(schema):
    return [(p.element, p.message) for p in check_schema(schema, "plan.form")]


def only_problem(schema):
    [(element, message)] = problems(schema)
    return element, message


def test_problems_are_located_in_the_file():
    schema = example()
    schema["components"][2]["type"] = "slider"
    [problem] = check_schema(schema, "plan.form")
    assert (problem.file, problem.line, problem.element) == ("plan.form", None, "plan_title")
    assert "unknown component type" in problem.message and "textfield" in problem.message


@pytest.mark.parametrize("schema, fragment", [
    ([], "must be a JSON object"),
    ({"type": "form", "id": "x", "components": []}, '"type" must be "default"'),
    ({"type": "default", "components": []}, 'needs an "id"'),
    ({"type": "default", "id": "x"}, '"components" list'),
])
def test_form_level_problems(schema, fragment):
    [(_, message)] = problems(schema)
    assert fragment in message


def test_every_form_js_component_type_is_known():
    types = ["textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime",
             "expression", "filepicker", "group", "dynamiclist", "table", "text", "html", "image", "spacer",
             "separator", "iframe", "button", "documentPreview"]
    components = []
    for n, kind in enumerate(types):
        component = {"type": kind, "id": f"c{n}"}
        if kind in ("textfield", "textarea", "number", "checkbox", "datetime", "expression", "filepicker"):
            component["key"] = f"k{n}"
        elif kind in ("checklist", "radio", "select", "taglist"):
            component.update(key=f"k{n}", values=[{"label": "A", "value": "a"}])
        elif kind == "dynamiclist":
            component["path"] = f"p{n}"
        components.append(component)
    assert problems(form(*components)) == []
    assert "unknown component type" in only_problem(form({"type": "multipage", "id": "m"}))[1]


@pytest.mark.parametrize("key, fragment", [
    ("typename", "reserved name 'typename'"),
    ("plan.typename", "reserved name 'typename'"),
    ("_internal", "starting with '_'"),
    ("budget-amount", "must be names joined by dots"),
    ("预算", "must be names joined by dots"),
    ("2025", "must be names joined by dots"),
    ("class", "not a Python keyword"),
    ("constructor", "form-js refuses it"),
    (None, "key is missing"),
])
def test_bad_keys(key, fragment):
    element, message = only_problem(form({"type": "textfield", "key": key, "id": "f1"}))
    assert element == (key or "f1")
    assert fragment in message


def test_dotted_keys_are_paths():
    assert problems(form({"type": "textfield", "key": "applicant.name"},
                         {"type": "textfield", "key": "applicant.phone"})) == []


@pytest.mark.parametrize("components", [
    [{"type": "textfield", "key": "name"}, {"type": "textarea", "key": "name"}],
    [{"type": "textfield", "key": "contact"}, {"type": "textfield", "key": "contact.name"}],
    [{"type": "group", "path": "contact", "components": [{"type": "textfield", "key": "name"}]},
     {"type": "textfield", "key": "contact.name"}],
    [{"type": "dynamiclist", "path": "lines", "isRepeating": True, "components": [{"type": "number", "key": "x"}]},
     {"type": "textfield", "key": "lines.y"}],
    [{"type": "dynamiclist", "path": "lines", "isRepeating": True,
      "components": [{"type": "number", "key": "amount"}, {"type": "number", "key": "amount"}]}],
    [{"type": "expression", "key": "total", "expression": "=1"}, {"type": "number", "key": "total"}],
])
def test_duplicate_keys_in_a_scope(components):
    _, message = only_problem(form(*components))
    assert "already bound" in message or "collides" in message


def test_same_key_in_different_scopes_is_fine():
    assert problems(form(
        {"type": "textfield", "key": "name"},
        {"type": "group", "path": "contact", "components": [{"type": "textfield", "key": "name"}]},
        {"type": "group", "path": "contact", "components": [{"type": "textfield", "key": "phone"}]},
        {"type": "dynamiclist", "path": "workers", "isRepeating": True,
         "components": [{"type": "textfield", "key": "name"}]},
    )) == []


def test_duplicate_component_ids():
    _, message = only_problem(form({"type": "text", "id": "same", "text": "a"}, {"type": "spacer", "id": "same"}))
    assert "id 'same' is used by another component" in message


@pytest.mark.parametrize("component, fragment", [
    ({"type": "textfield", "key": "a", "validate": {"pattern": "[a-"}}, "validate.pattern cannot be checked alike"),
    ({"type": "textfield", "key": "a", "validate": {"pattern": "(?<=a)b"}}, "validate.pattern cannot be checked"),
    ({"type": "textfield", "key": "a", "validate": {"pattern": "^(\\d+)*$"}}, "exponential time"),
    ({"type": "textfield", "key": "a", "validate": {"required": "yes"}}, "validate.required must be true or false"),
    ({"type": "number", "key": "a", "validate": {"min": "zero"}}, "validate.min must be a number"),
    ({"type": "textfield", "key": "a", "validate": {"minLength": -1}}, "validate.minLength must be a whole number"),
    ({"type": "textfield", "key": "a", "validate": {"maxLength": "=sum(x)"}}, "validate.maxLength is not in the FEEL"),
    ({"type": "textfield", "key": "a", "validate": {"validationType": "url"}}, "validationType"),
    ({"type": "textfield", "key": "a", "validate": []}, '"validate" must be an object'),
    ({"type": "number", "key": "a", "decimalDigits": 1.5}, '"decimalDigits" must be a whole number'),
    ({"type": "number", "key": "a", "increment": "-1"}, '"increment" must be a number greater than 0'),
    ({"type": "datetime", "key": "a", "subtype": "week"}, '"subtype" must be date, time or datetime'),
    ({"type": "textfield", "key": "a", "readonly": "yes"}, '"readonly" must be true, false or a FEEL expression'),
    ({"type": "textfield", "key": "a", "disabled": "=x"}, '"disabled" must be true or false'),
    ({"type": "filepicker", "key": "a", "multiple": "=count(x) > 1"}, "multiple is not in the FEEL"),
    ({"type": "select", "key": "a"}, "has no options"),
    ({"type": "select", "key": "a", "values": []}, '"values" must be a non-empty list'),
    ({"type": "radio", "key": "a", "values": ["a"]}, 'must be {"label": text'),
    ({"type": "checklist", "key": "a", "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]},
     "option value 'a' appears twice"),
    ({"type": "taglist", "key": "a", "values": [{"label": "A", "value": "a"}], "valuesKey": "list"},
     "one source, not values and valuesKey"),
    ({"type": "select", "key": "a", "valuesExpression": "districts"}, '"valuesExpression" must be a FEEL expression'),
    ({"type": "dynamiclist", "isRepeating": True, "components": []}, 'needs a "path"'),
    ({"type": "group", "path": "a b", "components": []}, "path 'a b' must be names joined by dots"),
    ({"type": "group", "path": "g", "components": {}}, '"components" must be a list'),
])
def test_component_problems(component, fragment):
    _, message = only_problem(form(component))
    assert fragment in message


@pytest.mark.parametrize("hide, fragment", [
    ("=amount >", "unexpected end of expression"),
    ("=sum(budget_lines.amount) > 1000", "function 'sum' is not supported"),
    ("=status in (\"a\", \"b\")", "'in' is not supported"),
    ("=0 < amount < 10", "comparisons cannot be chained"),
    ("needs_venue = false", "must be a FEEL expression starting with '='"),
])
def test_conditions_outside_the_feel_subset_are_refused(hide, fragment):
    element, message = only_problem(form({"type": "textfield", "key": "note", "conditional": {"hide": hide}}))
    assert element == "note"
    assert "conditional.hide" in message and fragment in message


def test_expressions_only_the_browser_runs_are_not_parsed():
    assert problems(form(
        {"type": "expression", "key": "total", "expression": "=sum(for x in lines return x.amount)"},
        {"type": "select", "key": "district", "valuesExpression": "=get value(cities, city)"},
        {"type": "text", "text": "=if a then \"x\" else \"y\""},
    )) == []


# --- FEEL ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, context, value", [
    ("1 + 2 * 3", {}, Decimal(7)),
    ("(1 + 2) * 3", {}, Decimal(9)),
    ("0.1 + 0.2 = 0.3", {}, True),  # exact decimals
    ("-amount + 1", {"amount": 3}, Decimal(-2)),
    ("amount / 0", {"amount": 3}, None),
    ("amount * 2", {"amount": Decimal("1.25")}, Decimal("2.50")),
    ("\"社区\" + name", {"name": "服务"}, "社区服务"),
    ("\"a\\\"b\"", {}, 'a"b'),
    ("1 + \"a\"", {}, None),
    ("applicant.address.city", {"applicant": {"address": {"city": "杭州"}}}, "杭州"),
    ("applicant.address.city", {"applicant": None}, None),
    ("missing", {}, None),
    ("lines.amount", {"lines": [{"amount": 1}, {"amount": 2}]}, [Decimal(1), Decimal(2)]),
    ("x = null", {}, True),
    ("x != null", {}, False),
    ("x = 1", {}, False),
    ("x != 1", {}, True),
    ("1 != \"1\"", {}, True),  # `!=` negates `=`, null counting as false
    ("1 = \"1\"", {}, None),
    ("tags = \"a\"", {"tags": ["a"]}, True),  # feelin compares a one-item list as its item
    ("true = 1", {}, None),
    ("x > 1", {}, None),
    ("\"b\" > \"a\"", {}, True),
    ("\"3\" < 5", {}, True),  # mixed types go to JavaScript's coercion, as in feelin
    ("\"abc\" < 5", {}, False),
    ("true and null", {}, None),
    ("false and null", {}, False),
    ("true or null", {}, True),
    ("false or 1", {}, None),
    ("not(true)", {}, False),
    ("not(1)", {}, None),
    ("x >= 1 and x <= 10", {"x": 10}, True),
    ("d = \"2025-03-01\"", {"d": datetime(2025, 3, 1).date()}, True),
])
def test_feel_evaluate(expression, context, value):
    assert feel.evaluate(expression, context) == value


@pytest.mark.parametrize("expression, context, hidden", [
    ("flag", {"flag": True}, True),
    ("flag", {"flag": False}, False),
    ("flag", {}, True),  # null is the (empty) input: the test holds
    ("amount > 5", {}, True),
    ("amount > 5", {"amount": 3}, False),
    ("not(flag)", {"flag": False}, True),
    ("not(flag)", {}, False),  # a negated test, not the function
    ("(not(flag))", {}, True),  # the function, giving null
    ("not(flag) = true", {}, False),
    ("name", {"name": "x"}, False),
    ("x > true", {"x": 1}, False),  # feelin throws, and form-js treats that as not hidden
    ("this.category != \"other\"", {"this": {"category": "other"}}, False),
])
def test_feel_unary_test_as_form_js_checks_conditions(expression, context, hidden):
    assert feel.unary_test(expression, context) is hidden


@pytest.mark.parametrize("expression", ["", "a +", "a b", "f(x)", "a[1]", "if a then b else c", "not x",
                                        "a..b", "(a", "'single'", "\"open", "1 < 2 < 3", "x in [1]", "a ? b"])
def test_feel_syntax_errors(expression):
    with pytest.raises(feel.FeelSyntaxError) as raised:
        feel.parse(expression)
    assert "position" in str(raised.value)


# --- attachments on the completing path: engine.api.complete_task ---------------------------

SCAN_FORM = json.dumps(form({"type": "filepicker", "key": "scan", "label": "签字扫描件", "multiple": True,
                             "validate": {"required": True}}) | {"id": "scan_form"})
SCAN_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="scan_upload" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="county_bureau"><bpmn:flowNodeRef>upload</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="upload" name="上传签字扫描件">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formId" value="scan_form" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="upload" />
    <bpmn:sequenceFlow id="f2" sourceRef="upload" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def scan_tasks(offices):
    """Two instances of a one-task process whose form asks for uploaded scans; their open tasks."""
    from engine import api
    from engine.deployment import deploy
    from engine.models import HumanTask

    deploy({"scan_upload.bpmn": SCAN_PROCESS}, {"scan_form.form": SCAN_FORM})
    instances = [api.start("scan_upload", data={"county": "520102"}).instance for _ in range(2)]
    return [HumanTask.objects.get(instance=instance, bpmn_id="upload") for instance in instances]


def test_completing_a_task_accepts_only_attachments_uploaded_for_it_or_its_instance(scan_tasks, offices):
    from engine import api
    from engine.errors import InvalidInput

    from .uploads import uploaded

    task, other = scan_tasks
    [for_task] = uploaded(task, "扫描件.pdf")
    [for_instance] = uploaded(task, "附件.pdf", instance_only=True)
    [elsewhere] = uploaded(other, "别处.pdf")
    refused = {"scan": "「签字扫描件」中有附件不存在，或不是为本任务上传的"}
    for sent in ([elsewhere], [for_task, str(uuid.uuid4())]):
        with pytest.raises(InvalidInput) as err:
            api.complete_task(task.id, {"scan": sent}, actor=offices["520102"])
        assert err.value.errors == refused
    with pytest.raises(InvalidInput) as err:
        api.complete_task(task.id, {"scan": []}, actor=offices["520102"])
    assert err.value.errors == {"scan": "「签字扫描件」为必填项"}
    api.complete_task(task.id, {"scan": [for_task, for_instance["id"]]}, actor=offices["520102"])
    task.refresh_from_db()
    assert task.state == "completed"
