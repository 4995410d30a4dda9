import pickle
from datetime import date, datetime, timezone
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine import clock
from engine.scripting.limits import ScriptLimitExceeded
from engine.scripting.sandbox import SAFE_BUILTINS, SandboxEnvironment, SandboxViolation, check


@pytest.fixture
def env():
    return SandboxEnvironment({"double": lambda x: x * 2, "RATE": Decimal("0.06")})


# --- ordinary scripts and expressions ---------------------------------------------------------

def test_script_assignments_become_task_data(env):
    data = {"items": [3, 5, 8]}
    env.execute("total = sum(items)\nbig = [i for i in items if i > 4]\n_tmp = 1\ncount = _tmp + len(items)", data)
    assert data == {"items": [3, 5, 8], "total": 16, "big": [5, 8], "_tmp": 1, "count": 4}


def test_functions_lambdas_and_interpreter_names_stay_out_of_task_data(env):
    data = {}
    env.execute('"""A docstring."""\ntriple = lambda x: x * 3\ndef half(x):\n    return x / 2\n'
                "n: int = triple(2)\nh = half(n)\nd = double(n)", data)
    assert data == {"n": 6, "h": 3.0, "d": 12}


def test_datetime_and_decimal_arithmetic(env):
    data = {"price": Decimal("10.00")}
    env.execute("due = datetime(2024, 1, 31) + timedelta(days=1)\n"
                "start = date(2024, 2, 29) - timedelta(days=365)\n"
                "parsed = datetime.strptime('2024-05-01', '%Y-%m-%d')\n"
                "label = parsed.strftime('%Y/%m/%d %a')\n"
                "aware = datetime(2024, 1, 1, tzinfo=timezone.utc).isoformat()\n"
                "tax = (price * RATE).quantize(Decimal('0.01'))\n"
                "ok = isinstance(due, datetime) and isinstance(start, date)", data)
    assert data["due"] == datetime(2024, 2, 1)
    assert data["start"] == date(2023, 3, 1)
    assert data["label"] == "2024/05/01 Wed"
    assert data["aware"] == "2024-01-01T00:00:00+00:00"
    assert data["tax"] == Decimal("0.60")
    assert data["ok"] is True
    # Exact classes: Spiff's serializer looks converters up by type, so subclasses would not serialize.
    assert type(data["due"]) is datetime and type(data["start"]) is date and type(data["parsed"]) is datetime


def test_evaluate_returns_the_value(env):
    data = {"amount": 150, "items": [1, 2]}
    assert env.evaluate("amount > 100 and len(items) == 2", data) is True
    assert env.evaluate("date(2024, 1, 1) + timedelta(days=2)", data) == date(2024, 1, 3)
    assert env.evaluate("double(amount)", data) == 300
    assert env.evaluate("amount + extra", data, external_context={"extra": 5}) == 155
    assert env.evaluate("  amount > 100", data) is True  # eval() forgives leading blanks; so must we


def test_del_removes_the_variable_from_task_data(env):
    data = {"x": 1, "y": 2}
    env.execute("del x\ny = 3", data)
    assert data == {"y": 3}


def test_failing_script_leaves_task_data_untouched(env):
    data = {"items": [1, 2], "meta": {"k": "v"}, "x": 1}
    with pytest.raises(ZeroDivisionError):
        env.execute("x = 2\nitems.append(3)\nmeta['k'] = 'changed'\nnew = 1\n1 / 0", data)
    assert data == {"items": [1, 2], "meta": {"k": "v"}, "x": 1}


def test_callable_task_data_is_dropped_like_spiff_does(env):
    data = {"x": 1, "f": len}
    env.execute("y = x", data)
    assert data == {"x": 1, "y": 1}


# --- the engine clock -------------------------------------------------------------------------

def test_datetime_now_reads_the_frozen_engine_clock(env):
    clock.set_time(datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc))  # 04:30 next day in China
    data = {}
    env.execute("a = datetime.now()\nb = datetime.now(timezone.utc)\nc = datetime.utcnow()\n"
                "d = date.today()\ne = now()\nf = datetime.today()", data)
    assert data["a"] == datetime(2024, 3, 2, 4, 30)
    assert data["b"] == datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc)
    assert data["c"] == datetime(2024, 3, 1, 20, 30)
    assert data["d"] == date(2024, 3, 2)
    assert data["e"] == datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc)
    assert data["f"] == datetime(2024, 3, 2, 4, 30)
    clock.release()
    assert env.evaluate("now()", {}) != datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc)


# --- names of sandbox functions ---------------------------------------------------------------

def test_task_data_named_like_a_function_is_refused_at_execute(env):
    data = {"date": "2024-01-01", "x": 1}
    with pytest.raises(ValueError, match="task data uses the name of a sandbox function: date"):
        env.execute("y = x", data)
    assert data == {"date": "2024-01-01", "x": 1}


@pytest.mark.parametrize("script, line, name", [
    ("x = 1\ndate = x", 2, "date"),
    ("for now in range(3):\n    pass", 1, "now"),
    ("x = [(double := i) for i in range(3)]", 1, "double"),
    ("try:\n    1 / 0\nexcept Exception as RATE:\n    pass", 3, "RATE"),
    ("def datetime():\n    return 1", 1, "datetime"),
    ("del timedelta", 1, "timedelta"),
])
def test_script_assigning_a_function_name_is_refused(env, script, line, name):
    data = {"x": 0}
    with pytest.raises(SandboxViolation, match=f"line {line}: '{name}' is the name of a sandbox function") as err:
        env.execute(script, data)
    assert err.value.lineno == line
    assert data == {"x": 0}
    with pytest.raises(SandboxViolation):
        check(script, "exec", reserved=env.globals)


def test_local_names_may_reuse_function_names(env):
    data = {}
    env.execute("f = lambda date: date + 1\nr = f(1)\ns = [now for now in range(2)]", data)
    assert data == {"r": 2, "s": [0, 1]}


def test_expression_reading_an_ambiguous_name_is_refused(env):
    with pytest.raises(ValueError, match="sandbox function: date"):
        env.evaluate("date > '2023'", {"date": "2024-01-01"})
    assert env.evaluate("x + 1", {"date": "2024-01-01", "x": 1}) == 2


def test_modules_are_refused_as_functions():
    import json

    with pytest.raises(TypeError, match="not modules.*json"):
        SandboxEnvironment({"json": json})


# --- escapes ----------------------------------------------------------------------------------

UNDERSCORE_ATTR = "attribute names starting with '_' are not allowed"
DUNDER_NAME = "names starting with '__' are not allowed"


@pytest.mark.parametrize("source, message", [
    ("x = ().__class__.__mro__[1].__subclasses__()", f"{UNDERSCORE_ATTR} (__class__)"),
    ("x = ''.__class__", f"{UNDERSCORE_ATTR} (__class__)"),
    ("x = [c for c in ().__class__.__bases__[0].__subclasses__()]", f"{UNDERSCORE_ATTR} (__class__)"),
    ("x = [].__class__.__base__", f"{UNDERSCORE_ATTR} (__class__)"),
    ('x = "{0.__class__}".format(1)', "attribute 'format' is not allowed"),
    ("x = str.format('{0.__class__}', 1)", "attribute 'format' is not allowed"),
    ("f = lambda: 0\nx = '{f.__globals__}'.format_map({'f': f})", "line 2: attribute 'format_map' is not allowed"),
    ("x = (lambda: 0).__globals__", f"{UNDERSCORE_ATTR} (__globals__)"),
    ("x = (lambda: 0).__code__", f"{UNDERSCORE_ATTR} (__code__)"),
    ("x = (y for y in []).gi_frame.f_globals", "attribute 'gi_frame' is not allowed"),
    ("x = int.mro()", "attribute 'mro' is not allowed"),
    ("import os", "imports are not allowed"),
    ("from os import system", "imports are not allowed"),
    ("x = __import__('os')", f"{DUNDER_NAME} (__import__)"),
    ("x = __builtins__", f"{DUNDER_NAME} (__builtins__)"),
    ("x = datetime.__subclasses__", f"{UNDERSCORE_ATTR} (__subclasses__)"),
    ("x = Decimal.__init__.__globals__", f"{UNDERSCORE_ATTR} (__init__)"),
    ("x = now.__globals__['clock']", f"{UNDERSCORE_ATTR} (__globals__)"),
    ("x = f'{().__class__}'", f"{UNDERSCORE_ATTR} (__class__)"),
    ("x = f'{1:{().__class__}}'", f"{UNDERSCORE_ATTR} (__class__)"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    x = e.__traceback__.tb_frame",
     f"line 4: {UNDERSCORE_ATTR} (__traceback__)"),
    ("x = y.tb_next", "attribute 'tb_next' is not allowed"),
    # Class patterns read attributes by name: `case str(format=f)` is getattr(subject, 'format').
    ("match '{0.__class__}':\n    case str(format=f):\n        x = f(1)", "line 2: attribute 'format' is not allowed"),
    ("match 1:\n    case int(__class__=c):\n        x = c", f"line 2: {UNDERSCORE_ATTR} (__class__)"),
    ("class A:\n    pass", "class definitions are not allowed"),
    ("def g():\n    global x\n    x = 1", "line 2: 'global' and 'nonlocal' are not allowed"),
    ("def g():\n    yield 1", "line 2: 'yield' is not allowed"),
    ("async def g():\n    pass", "async code is not allowed"),
    ("f = lambda __builtins__: 0", f"{DUNDER_NAME} (__builtins__)"),
    ("x = dict(__class__=1)", f"{DUNDER_NAME} (__class__)"),
])
def test_escape_is_refused_before_running(env, source, message):
    data = {"y": 1}
    with pytest.raises(SandboxViolation, match=message.replace("(", r"\(").replace(")", r"\)")):
        env.execute(source, data)
    assert data == {"y": 1}
    with pytest.raises(SandboxViolation):
        check(source, "exec")


@pytest.mark.parametrize("expression", [
    "''.__class__", '"{0.__class__}".format(1)', "(x for x in []).gi_frame", "__import__('os')",
])
def test_escape_in_an_expression_is_refused(env, expression):
    with pytest.raises(SandboxViolation):
        env.evaluate(expression, {})
    with pytest.raises(SandboxViolation):
        check(expression, "eval")


@pytest.mark.parametrize("name", [
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "vars", "globals", "locals", "dir",
    "type", "breakpoint", "help", "input", "memoryview", "object", "super", "classmethod", "staticmethod",
    "property", "print", "SystemExit", "BaseException", "KeyboardInterrupt",
])
def test_dangerous_builtins_do_not_exist(env, name):
    with pytest.raises(NameError, match=f"name '{name}' is not defined"):
        env.execute(f"x = {name}", {})


def test_raise_system_exit_is_a_name_error(env):
    with pytest.raises(NameError):
        env.execute("raise SystemExit", {})


def test_import_from_c_code_is_limited_to_a_whitelist():
    guarded = SAFE_BUILTINS["__import__"]
    assert guarded("time").__name__ == "time"
    with pytest.raises(ImportError, match="scripts may not import modules \\(tried to import 'os'\\)"):
        guarded("os")


# --- check() ----------------------------------------------------------------------------------

def test_check_reports_the_first_violation_with_its_line():
    with pytest.raises(SandboxViolation) as err:
        check("x = 1\ny = 2\nz = ().__class__\nimport os", "exec")
    assert err.value.lineno == 3
    assert str(err.value) == "line 3: attribute names starting with '_' are not allowed (__class__)"
    assert err.value.text == "z = ().__class__"
    copied = pickle.loads(pickle.dumps(err.value))
    assert (str(copied), copied.lineno) == (str(err.value), 3)


def test_check_accepts_good_source_and_reports_syntax_errors():
    assert check("x = [i * 2 for i in range(3)]\ny = (lambda a: a)(x)", "exec") is None
    assert check("amount > 100", "eval") is None
    with pytest.raises(SyntaxError) as err:
        check("x = 1\ny = (", "exec")
    assert err.value.lineno == 2
    with pytest.raises(SyntaxError):
        check("x = 1", "eval")
    with pytest.raises(ValueError, match="mode"):
        check("x", "single")


# --- inside SpiffWorkflow ---------------------------------------------------------------------

def _bpmn(script: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
    <bpmn:scriptTask id="calc" name="Calculate" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="to_small">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>to_big</bpmn:outgoing><bpmn:outgoing>to_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_big" sourceRef="gw" targetRef="big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">total &gt; 10 and due &gt; date(2024, 1, 1)</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gw" targetRef="small"/>
    <bpmn:scriptTask id="big" name="Big"><bpmn:incoming>to_big</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>path = 'big'</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="small" name="Small"><bpmn:incoming>to_small</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>path = 'small'</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="big" targetRef="end_big"/>
    <bpmn:sequenceFlow id="f4" sourceRef="small" targetRef="end_small"/>
    <bpmn:endEvent id="end_big"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def _workflow(script: str, data: dict) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_bpmn(script).encode(), "sandbox_test.bpmn")
    engine = PythonScriptEngine(environment=SandboxEnvironment({"double": lambda x: x * 2}))
    workflow = BpmnWorkflow(parser.get_spec("proc"), parser.get_subprocess_specs("proc"), script_engine=engine)
    workflow.get_next_task(spec_name="start").data.update(data)
    return workflow


@pytest.mark.parametrize("items, path", [([3, 4, 5], "big"), ([1, 2], "small")])
def test_spiff_runs_scripts_and_conditions_in_the_sandbox(items, path):
    clock.set_time(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))
    workflow = _workflow("total = double(sum(items)) // 2\ndue = date.today() + timedelta(days=3)", {"items": items})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["path"] == path
    assert workflow.data["total"] == sum(items)
    assert workflow.data["due"] == date(2024, 6, 4)
    assert "double" not in workflow.data and "date" not in workflow.data


def test_spiff_reports_a_refused_script_with_its_line():
    workflow = _workflow("total = 1\nimport os", {"items": []})
    with pytest.raises(WorkflowTaskException) as err:
        workflow.do_engine_steps()
    assert err.value.line_number == 2
    assert err.value.error_line == "import os"
    assert "line 2: imports are not allowed" in str(err.value)
    assert "total" not in workflow.get_next_task(spec_name="calc").data


def test_spiff_reports_the_line_of_a_runtime_error_and_keeps_data():
    workflow = _workflow("total = 1\nratio = total / len(items)", {"items": []})
    with pytest.raises(WorkflowTaskException) as err:
        workflow.do_engine_steps()
    assert err.value.line_number == 2
    assert "ZeroDivisionError" in str(err.value)
    assert workflow.get_next_task(spec_name="calc").data == {"items": []}


# --- limits on time, memory and size (engine/scripting/limits.py) -----------------------------

@pytest.mark.parametrize("script, limit", [
    ("while True:\n    pass", "went round its loops or calls more than 1,000,000 times"),
    ("x = [i for i in iter_forever()]", "went round its loops"),
    ("x = 10 ** (10 ** 8)", "would build a number of 133,333,333 digits"),
    ("x = 'x' * 10 ** 10", "would build a sequence of 10,000,000,000 items"),
    ("x = [0] * 10 ** 9", "would build a sequence of 1,000,000,000 items"),
    ("x = 1 << 10 ** 9", "would build a number of"),
    ("x = 'a'.ljust(10 ** 9)", "would build a text of 1,000,000,000 characters"),
    ("pad = 'a'.rjust\nx = pad(10 ** 9)", "would build a text of 1,000,000,000 characters"),
    ("x = ('a' * 1000).replace('a', 'a' * 10 ** 6)", "would build a text of 1,000,000,000 characters"),
    ("x = sum(range(10 ** 12))", "would build a range of 1,000,000,000,000 items"),
    ("x = f'{1:>{10 ** 9}}'", "would build a formatted text of 1,000,000,000 characters"),
    ("x = '%1000000000d' % 1", "would build a formatted text of 1,000,000,000 characters"),
    ("n = 2\nn **= 10 ** 8", "would build a number of"),
    ("x = [[0] * 1000 for _ in range(10 ** 6)]", "used more than its memory limit of 256 MB"),
])
def test_code_past_a_limit_stops_with_the_limit_it_passed(env, script, limit, settings):
    # Filling 256 MB takes more than the 2 s a script has on a loaded machine: the memory limit is the point.
    settings.ENGINE = {**settings.ENGINE, "SCRIPT_SECONDS": 30}

    def iter_forever():
        while True:
            yield 1

    with pytest.raises(ScriptLimitExceeded, match=limit):
        env.execute(script, {}, {"iter_forever": iter_forever})


def test_a_slow_loop_stops_at_the_time_limit(env, settings):
    settings.ENGINE = {**settings.ENGINE, "SCRIPT_SECONDS": 0.05}
    with pytest.raises(ScriptLimitExceeded, match="ran longer than its time limit of 0.05 s"):
        env.execute("total = 0\nwhile True:\n    total = sorted([total, 1, 2] * 100)[0]", {})


def test_ordinary_code_runs_within_the_limits(env):
    data = {"items": list(range(1000))}
    env.execute("n = 2\nn *= 3\ntotal = sum(x * x for x in items)\nlabel = ', '.join(str(i) for i in range(3))\n"
                "padded = str(7).zfill(3)\ntext = f'{total:>12}'\nfib = lambda k: k if k < 2 else fib(k - 1) + fib(k - 2)\n"
                "f10 = fib(10)", data)
    assert (data["n"], data["total"], data["label"], data["padded"], data["text"].strip(), data["f10"]) == (
        6, 332833500, "0, 1, 2", "007", "332833500", 55)
