"""The bpmn command as an operator uses it: readable output, --json for scripts, exit codes."""
import json
from functools import partial
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engine.models import HumanTask

from .conftest import BPMN_DIR
from .steps import command_output

pytestmark = pytest.mark.django_db


run = partial(command_output, "bpmn")


def test_deploy_list_start_tasks_complete(offices):
    assert "deployed review version 1" in run("deploy", str(BPMN_DIR / "review.bpmn"), "--note", "首次发布")
    assert "no change: review is already version 1" in run("deploy", str(BPMN_DIR / "review.bpmn"))
    listing = json.loads(run("--json", "list"))
    assert listing[0]["key"] == "review" and listing[0]["note"] == "首次发布"
    started = json.loads(run("--json", "start", "review", "--business-key", "plan-1",
                             "--data", '{"county": "520102", "revisions": 0}'))
    assert started["state"] == "running" and started["waiting_at"] == ["write_plan"]
    tasks = json.loads(run("--json", "tasks", "--office", "520102"))
    assert [t["name"] for t in tasks] == ["编写年度计划"]
    assert "编写年度计划" in run("tasks")
    assert json.loads(run("--json", "tasks", "--office", "5203")) == []
    done = run("complete", tasks[0]["id"], "--data", '{"background": "x", "budget": "10.00"}')
    assert "running, at review_plan" in done
    assert HumanTask.objects.get(pk=tasks[0]["id"]).completed_by == "system"


def test_form_errors_and_bad_json_exit_non_zero(offices):
    run("deploy", str(BPMN_DIR / "review.bpmn"))
    run("start", "review", "--data", '{"county": "520102", "revisions": 0}')
    task = HumanTask.objects.get(state="open")
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("bpmn", "complete", str(task.id), "--data", '{"budget": "x"}', stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "background: 「项目背景」" in err.getvalue()
    with pytest.raises(CommandError, match="--data is not valid JSON"):
        run("start", "review", "--data", "{county: 1}")
    with pytest.raises(CommandError, match="no process definition 'missing'"):
        run("start", "missing")


def test_send_message(offices):
    run("deploy", str(BPMN_DIR / "award.bpmn"))
    assert "stored; it will be delivered" in run("send", "award", "--correlation", '{"county": "1"}',
                                                  "--data", '{"county": "1", "winner": "w", "amount": 1}')
