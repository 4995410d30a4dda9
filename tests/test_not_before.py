"""Minimum periods (不少于 N 日): a user task's `notBefore` refuses completion before the earliest allowed moment."""
from datetime import datetime, timedelta, timezone

import pytest

from engine import api
from engine.api import clock
from engine.api import deploy
from engine.errors import Conflict, InvalidDefinition, InvalidInput
from engine.models import HumanTask, ProcessInstance

from .conftest import BPMN_DIR
from .steps import open_task

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 China time
REASON = "自招标文件发出之日起至投标截止之日止不得少于20日"


def start(deploy_bpmn, starts_on="2026-04-01"):
    deploy_bpmn("not_before.bpmn")
    return api.start("not_before", data={"issued_on": "2026-03-02", "starts_on": starts_on}).instance


def test_completing_before_the_minimum_period_is_refused_with_the_reason_and_the_date(deploy_bpmn):
    clock.set_time(ISSUED)
    instance = start(deploy_bpmn)
    task = open_task(instance, "open_bids")
    # 20 days counted from the day after 2 March end at 24:00 on 22 March: allowed from 23 March.
    clock.set_time(datetime(2026, 3, 22, 15, 59, tzinfo=timezone.utc))  # 23:59 on 22 March, China time
    with pytest.raises(InvalidInput) as err:
        api.complete_task(task.id, {})
    assert REASON in str(err.value) and "2026-03-23" in str(err.value)
    assert err.value.errors["not_before"] == str(err.value)
    # Nothing moved: the task is still open and the instance still waits on it.
    assert open_task(instance, "open_bids").id == task.id
    assert ProcessInstance.objects.get(pk=instance.pk).state == "running"

    clock.set_time(datetime(2026, 3, 22, 16, 0, tzinfo=timezone.utc))  # 00:00 on 23 March
    api.complete_task(task.id, {})
    assert HumanTask.objects.get(pk=task.id).state == "completed"


def test_a_plain_date_allows_completion_from_the_start_of_that_day_with_a_default_reason(deploy_bpmn):
    clock.set_time(ISSUED)
    instance = start(deploy_bpmn, starts_on="2026-04-01")
    clock.set_time(datetime(2026, 3, 23, 1, 0, tzinfo=timezone.utc))
    api.complete_task(open_task(instance, "open_bids").id, {})
    task = open_task(instance, "start_procurement")
    clock.set_time(datetime(2026, 3, 31, 15, 0, tzinfo=timezone.utc))  # 23:00 on 31 March
    with pytest.raises(InvalidInput) as err:
        api.complete_task(task.id, {})
    assert "法定最短期限未满" in str(err.value) and "2026-04-01" in str(err.value)
    clock.advance(timedelta(hours=1))
    api.complete_task(task.id, {})
    assert ProcessInstance.objects.get(pk=instance.pk).state == "completed"


def test_an_expression_that_cannot_be_evaluated_is_a_conflict_naming_the_task(deploy_bpmn):
    clock.set_time(ISSUED)
    deploy_bpmn("not_before.bpmn")
    instance = api.start("not_before", data={"issued_on": "next spring"}).instance
    with pytest.raises(Conflict, match="开标.*notBefore"):
        api.complete_task(open_task(instance, "open_bids").id, {})


def test_a_not_before_that_does_not_compile_is_reported_at_its_line():
    text = (BPMN_DIR / "not_before.bpmn").read_text(encoding="utf-8")
    broken = text.replace("add_days(issued_on, 20, roll_forward=False)", "add_days(issued_on, 20")
    line = next(i for i, row in enumerate(broken.splitlines(), start=1) if 'name="notBefore"' in row)
    with pytest.raises(InvalidDefinition) as err:
        deploy({"not_before.bpmn": broken}, {})
    [problem] = [str(p) for p in err.value.problems]
    assert problem.startswith(f"not_before.bpmn:{line}: “开标”的最早办理时间表达式写法有误")
