"""The engine's edges: what code outside engine/ may import, and no import circle inside it.

Outside engine/, code uses the engine through engine.api (commands and queries), engine.models (rows),
engine.errors (what goes wrong) and engine.extensions (what the domain plugs in), and never
SpiffWorkflow. Tests of an engine part itself (white-box tests) are the exception, named below.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"engine", "engine.models", "engine.errors", "engine.extensions"}
# White-box tests of one engine part, and the benchmark's bare SpiffWorkflow side it measures against.
INSIDE = {
    "tests/conftest.py": "drops the engine's per-process caches between tests",
    "tests/test_audit.py": "the audit trail's writer",
    "tests/test_batch.py": "the step's batched writes",
    "tests/test_engine_events.py": "the dispatcher's claims and the specs cache, besides behaviour through the API",
    "tests/test_timer_dispatch.py": "the dispatcher's claim and job sizes",
    "tests/test_engine_lifecycle.py": "the workflow kept for the next step, besides behaviour through the API",
    "tests/test_forms.py": "form-js validation",
    "tests/test_layout.py": "drawing diagrams",
    "tests/test_sandbox.py": "the script sandbox",
    "tests/test_runtime_state.py": "instances stored the way the engine stored them before their data migration",
    "tests/test_serve_command.py": "the embedded server command",
    "tests/test_spiff_private.py": "the SpiffWorkflow internals the engine relies on",
    "tests/test_workcalendar.py": "the working-day calendar's counting",
    "bench/run.py": "bare SpiffWorkflow, measured against the engine",
}


def _modules(folder):
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts)


def _imports(path):
    """(line, module, names) of every import in the file, at any depth (imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).parent.parts)  # what a relative import starts from
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield node.lineno, module, tuple(a.name for a in node.names)


def _public(module):
    """engine.api (a package: its modules are the surface too), engine.models, engine.errors, engine.extensions."""
    return module in PUBLIC or module == "engine.api" or module.startswith("engine.api.")


def _engine_name(module, names):
    """The engine modules an import names: `from engine import api` names engine.api."""
    if module == "engine":
        return [f"engine.{n}" for n in names]
    return [module] if module == "engine" or module.startswith("engine.") else []


def test_code_outside_the_engine_uses_only_its_public_modules():
    offending = []
    for folder in ("config", "webui", "workflows", "restapi", "notifications", "accounts", "bench", "tests"):
        for path in _modules(folder):
            rel = path.relative_to(ROOT).as_posix()
            if rel in INSIDE:
                continue
            for line, module, names in _imports(path):
                bad = [m for m in _engine_name(module, names) if not _public(m)]
                if module.split(".")[0] == "SpiffWorkflow":
                    bad.append(module)
                offending += [f"{rel}:{line}: {m}" for m in bad]
    assert offending == [], "import engine.api, engine.models, engine.errors or engine.extensions instead"


def test_the_white_box_exceptions_still_need_to_be_exceptions():
    for rel in INSIDE:
        imports = [(m, names) for _, m, names in _imports(ROOT / rel)]
        assert any(m.split(".")[0] == "SpiffWorkflow" or any(not _public(e) for e in _engine_name(m, n))
                   for m, n in imports), f"{rel} uses only public modules: remove it from INSIDE"


def _engine_graph():
    modules = {}
    for path in _modules("engine"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for _, module, names in _imports(path):
            # `from . import x` imports the submodule x; its package is already being imported.
            named = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            targets.update(named or ([module] if module in modules else []))
        graph[name] = targets - {name}
    return graph


def test_no_import_circle_in_the_engine():
    graph = _engine_graph()
    circles, visiting, done = [], [], set()

    def visit(node):
        if node in visiting:
            circles.append(visiting[visiting.index(node):] + [node])
            return
        if node in done:
            return
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert circles == []
