"""Engine benchmarks. Prints figures; run with `make bench` (PostgreSQL at BENCH_DATABASE_URL).

BENCH_ROUNDS rounds of BENCH_N instances each. The sides of each ratio take turns every ten
instances (ten bare, ten through the engine, ...), so both meet the same conditions of the machine,
and the median round is reported, so a busy spell does not decide the figure.

(a) A multi-step process (two user tasks, a script, a gateway) run N times with
    bare SpiffWorkflow, serialized to JSON after every wait state, versus the
    same through the engine on PostgreSQL (forms validated, rows mirrored,
    audit written, one locked transaction per step). Target: at most 3x. Against the physical floor of a
    durable engine, bare SpiffWorkflow committing its serialized state to PostgreSQL after each wait
    state: target at most 1.1x.
(b) Start-to-end instances per second of a one-step process (one script task)
    through the engine, versus bare single-row INSERT+COMMIT transactions on the
    same database. Target: at least a quarter of the commit rate; aim: half.
(f) Two steps of a review instance that has taken 800 steps (the plan returned 400 times)
    against two steps of fresh instances after 10, taking turns; and the stored state of the
    first against a fresh instance's. Targets: at most 1.2x and 1.5x.
"""
import itertools
import os
import sys
import time
from statistics import median
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shegong_bench")
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import psycopg  # noqa: E402


def ensure_database(url):
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(BENCH_DB)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import api  # noqa: E402
from engine.models import ProcessInstance  # noqa: E402
from engine.scripting.engine import EngineScriptEngine  # noqa: E402

FIXTURES = ROOT / "tests" / "bpmn"
PLAN = {"background": "新设街道社工站", "budget": "300000.00"}
APPROVE = {"decision": "approve", "comment": "同意"}
RETURN = {"decision": "return", "comment": "请补充"}
ONE_STEP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="one_step" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="t"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:script>filed = True</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""

_keys = itertools.count()  # business keys of the instances the benchmark starts


def setup():
    call_command("migrate", verbosity=0)
    from workflows.models import Office

    province = Office.objects.create(code="gz", name="贵州省民政厅", kind="province_civil_affairs")
    pref = Office.objects.create(code="5201", name="贵阳市民政局", kind="prefecture_bureau", parent=province)
    Office.objects.create(code="520102", name="南明区民政局", kind="county_bureau", parent=pref)
    bpmn, forms = api.read_files([FIXTURES / "review.bpmn"])
    api.deploy(bpmn, forms, actor="bench")
    api.deploy({"one_step.bpmn": ONE_STEP}, actor="bench")


class BareSpiff:
    """The review process with bare SpiffWorkflow, serialized to JSON after every wait state."""

    def __init__(self, store=None):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(FIXTURES / "review.bpmn"))
        self.spec, self.subprocess_specs = parser.get_spec("review"), parser.get_subprocess_specs("review")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.store = store

    def run_one(self):
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=EngineScriptEngine())
        for task in workflow.get_tasks(state=TaskState.READY):
            task.set_data(county="520102", revisions=0)
        workflow.do_engine_steps()
        stored = self.serializer.serialize_json(workflow)
        row = self.store(None, stored) if self.store else None
        for data in (PLAN, APPROVE):
            workflow = self.serializer.deserialize_json(stored)
            workflow.script_engine = EngineScriptEngine()
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            stored = self.serializer.serialize_json(workflow)
            if self.store:
                self.store(row, stored)
        assert workflow.is_completed()


def store_in_postgres():
    """Each wait state's serialization written to a table and committed, as an application would."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_state (id serial primary key, state text)")
    connection.set_autocommit(True)

    def store(row, state):
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            if row is None:
                cursor.execute("INSERT INTO bench_state (state) VALUES (%s) RETURNING id", [state])
                row = cursor.fetchone()[0]
            else:
                cursor.execute("UPDATE bench_state SET state = %s WHERE id = %s", [state, row])
            cursor.execute("COMMIT")
        return row

    return store


def engine_one():
    step = api.start("review", f"a-{next(_keys)}", {"county": "520102", "revisions": 0}, actor="bench")
    for data in (PLAN, APPROVE):
        (task,) = step.open_tasks
        step = api.complete_task(task.id, data, actor="bench")
    assert step.instance.state == "completed"


def bare_commit():
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("INSERT INTO bench_commit (at, note) VALUES (now(), 'x')")
        cursor.execute("COMMIT")


def review_round(step, returned=True):
    """Two steps of a review instance: the plan written, then returned (or approved)."""
    (task,) = step.open_tasks
    step = api.complete_task(task.id, PLAN, actor="bench")
    (task,) = step.open_tasks
    return api.complete_task(task.id, RETURN if returned else APPROVE, actor="bench")


def late_against_early(rounds, late_steps=800, early_steps=10, measured=20):
    """(f) per-step time of steps late in a looping instance against steps early in fresh ones, and stored size."""
    late = api.start("review", f"f-{next(_keys)}", {"county": "520102", "revisions": 0}, actor="bench")
    for _ in range(late_steps // 2):
        late = review_round(late)
    fresh = api.start("review", f"f-{next(_keys)}", {"county": "520102", "revisions": 0}, actor="bench").instance
    ratios = []
    for _ in range(rounds):
        early_seconds = late_seconds = 0.0
        for _ in range(measured // 2):
            early = api.start("review", f"f-{next(_keys)}", {"county": "520102", "revisions": 0}, actor="bench")
            for _ in range(early_steps // 2):
                early = review_round(early)
            started = time.perf_counter()
            review_round(early)
            early_seconds += time.perf_counter() - started
            started = time.perf_counter()
            late = review_round(late)
            late_seconds += time.perf_counter() - started
        ratios.append(late_seconds / early_seconds)
    sizes = (len(ProcessInstance.objects.get(pk=late.instance.pk).serialized), len(
        ProcessInstance.objects.get(pk=fresh.pk).serialized))
    return ratios, sizes


def one_step():
    assert api.start("one_step", f"b-{next(_keys)}", {}, actor="bench").instance.state == "completed"


def paired(n, *sides, turn=10):
    """Seconds each side took over n runs, the sides taking turns every `turn` runs.

    Short turns put both sides of a ratio under the same conditions of the machine; a turn of
    several runs lets each side warm the processor's caches for itself, as a loop of it alone would.
    """
    totals = [0.0] * len(sides)
    for first in range(0, n, turn):
        for j, side in enumerate(sides):
            started = time.perf_counter()
            for _ in range(min(turn, n - first)):
                side()
            totals[j] += time.perf_counter() - started
    return totals


def main():
    n = int(os.environ.get("BENCH_N", "100"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    setup()
    bare, stored = BareSpiff(), BareSpiff(store_in_postgres())
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (id serial primary key, at timestamptz, note text)")
    paired(20, bare.run_one, engine_one, stored.run_one, bare_commit, one_step)  # caches and connections
    figures = {"bare": [], "engine": [], "stored": [], "commits": [], "one_step": []}
    for _ in range(rounds):
        spiff, engine, spiff_stored = paired(n, bare.run_one, engine_one, stored.run_one)
        figures["bare"].append(spiff * 1000 / n)
        figures["engine"].append(engine * 1000 / n)
        figures["stored"].append(spiff_stored * 1000 / n)
        commits, one_steps = paired(n * 2, bare_commit, one_step)
        figures["commits"].append(n * 2 / commits)
        figures["one_step"].append(n * 2 / one_steps)
    a = [e / b for e, b in zip(figures["engine"], figures["bare"], strict=True)]
    ref = [e / s for e, s in zip(figures["engine"], figures["stored"], strict=True)]
    b = [r / c for r, c in zip(figures["one_step"], figures["commits"], strict=True)]
    print(f"{rounds} rounds of {n} instances, the sides of each ratio taking turns every 10 instances; "
          "each figure is the median of the rounds")
    print(f"(a) review process: bare SpiffWorkflow {median(figures['bare']):.2f} ms/instance, engine on PostgreSQL "
          f"{median(figures['engine']):.2f} ms/instance, ratio {median(a):.2f}x (target <= 3x; rounds: "
          f"{', '.join(f'{x:.2f}' for x in a)})")
    print(f"    for reference: bare SpiffWorkflow also committing each serialization to PostgreSQL "
          f"{median(figures['stored']):.2f} ms/instance; the engine is {median(ref):.2f}x that (target <= 1.1x)")
    print(f"(b) one-step instances {median(figures['one_step']):.0f}/s, bare INSERT+COMMIT "
          f"{median(figures['commits']):.0f}/s, ratio {median(b):.2f} (target >= 0.25, aim 0.5; rounds: "
          f"{', '.join(f'{x:.2f}' for x in b)})")
    f, (late_size, fresh_size) = late_against_early(rounds)
    print(f"(f) a step after 800 steps against one after 10: {median(f):.2f}x (target <= 1.2x; rounds: "
          f"{', '.join(f'{x:.2f}' for x in f)}); stored state after 800 steps {late_size} bytes against "
          f"{fresh_size} fresh, {late_size / fresh_size:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
