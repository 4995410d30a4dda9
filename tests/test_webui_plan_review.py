"""The plan review and filing forms show names, not codes; the history timeline shows actions in words."""
import json
import re

import pytest

from .county_cycle_steps import PLAN, complete, county_offices, lifecycle, open_tasks, start_cycle  # noqa: F401

pytestmark = pytest.mark.django_db


def page_json(page, element_id):
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page,
                                re.S).group(1))


def field(components, key):
    for component in components:
        if component.get("key") == key:
            return component
        found = field(component.get("components", []), key)
        if found:
            return found
    return None


@pytest.mark.parametrize("bpmn_id, user", [("review_plan", "5201"), ("file_plan", "gz")])
def test_review_forms_show_the_county_name_and_category_labels(client, lifecycle, county_offices, bpmn_id, user):
    instance = start_cycle()
    complete(instance, "write_plan", county_offices["520102"], PLAN)
    if bpmn_id == "file_plan":
        complete(instance, "review_plan", county_offices["5201"], {"decision": "approve"})
    client.force_login(county_offices[user])
    page = client.get(f"/tasks/{open_tasks(instance)[bpmn_id].pk}/").content.decode()
    schema, data = page_json(page, "form-schema"), page_json(page, "form-data")
    county = field(schema["components"], "county_name")
    assert county["readonly"] and data["county_name"] == "南明区民政局"
    category = field(schema["components"], "category")
    assert category["type"] == "select" and category["readonly"]
    assert {"label": "人员经费", "value": "personnel"} in category["values"]
    assert [row["category"] for row in data["budget_lines"]] == ["personnel", "activity"]


def test_a_returned_plan_is_marked_in_the_countys_inbox_until_it_is_sent_again(client, lifecycle, county_offices):
    instance = start_cycle()
    complete(instance, "write_plan", county_offices["520102"], PLAN)
    complete(instance, "review_plan", county_offices["5201"], {"decision": "return", "comment": "预算明细不全"})
    client.force_login(county_offices["520102"])
    assert '<span class="badge returned" title="预算明细不全">已退回</span>' in client.get("/").content.decode()
    complete(instance, "write_plan", county_offices["520102"], PLAN)
    client.force_login(county_offices["5201"])
    assert "badge returned" not in client.get("/").content.decode(), "the review that follows is no return"


def test_the_history_names_domain_actions_in_words(client, lifecycle, county_offices):
    instance = start_cycle()
    complete(instance, "write_plan", county_offices["520102"], PLAN)
    complete(instance, "review_plan", county_offices["5201"], {"decision": "return", "comment": "预算明细不全"})
    client.force_login(county_offices["520102"])
    page = client.get(f"/instances/{instance.pk}/").content.decode()
    timeline = page[page.index('<ol class="timeline">'):]
    for words in ("报送年度计划", "年度计划退回修改", "设置定时", "生成任务：编制年度实施计划"):
        assert words in timeline
    assert "年度计划退回修改 <span class=\"muted\">（预算明细不全）</span>" in timeline, "with the reason"
    for raw in ("annualplan.submit", "annualplan.return_for_revision", "timer.armed"):
        assert raw not in timeline
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/instances/{instance.pk}/").content.decode()
    assert "Annual plan returned for revision" in page[page.index('<ol class="timeline">'):]
