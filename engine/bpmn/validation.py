"""Checking BPMN files and forms before anything is stored.

Every finding is a Problem located as file:line. The checks run in layers:
safe XML parsing, the BPMN XSD, SpiffWorkflow's parser, then the engine's own
rules (lanes name office roles, called processes exist, every expression
compiles in the sandbox, forms exist and are valid, service handlers exist).
"""
import copy
import json
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .. import services
from . import deadlines
from ..directory import get_directory
from ..errors import InvalidDefinition, Problem
from ..formjs import check_schema
from ..scripting.sandbox import SandboxViolation, check as check_code
from .parser import BPMN_NS, DUE_DATE_PROPERTY, FORM_PROPERTY, NOT_BEFORE_PROPERTY, NSMAP, EngineParser
from .safe_xml import UnsafeXml, parse

# (xpath, mode) of every piece of code a diagram can carry.
_CODE_XPATHS = [
    ("//bpmn:conditionExpression", "eval"),
    ("//bpmn:timeDate", "eval"),
    ("//bpmn:timeDuration", "eval"),
    ("//bpmn:timeCycle", "eval"),
    ("//bpmn:scriptTask/bpmn:script", "exec"),
    ("//bpmn:loopCardinality", "eval"),
    ("//bpmn:completionCondition", "eval"),
    ("//bpmn:messagePath", "eval"),
    ("//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression", "eval"),
    ("//spiffworkflow:preScript", "exec"),
    ("//spiffworkflow:postScript", "exec"),
    ("//spiffworkflow:messagePayload", "eval"),
    ("//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "eval"),
]


@dataclass
class Bundle:
    """What validation learned: parsed specs per executable process, and the files they came from."""

    specs: dict = field(default_factory=dict)  # process id -> (spec, subprocess_specs)
    process_files: dict = field(default_factory=dict)  # process id -> file name
    process_names: dict = field(default_factory=dict)
    executable: list = field(default_factory=list)  # executable process ids of the submitted files
    calls: dict = field(default_factory=dict)  # process id -> called process ids
    forms: dict = field(default_factory=dict)  # form id -> (file name, JSON text)
    form_refs: dict = field(default_factory=dict)  # process id -> form ids its user tasks use
    problems: list = field(default_factory=list)


def _line(element):
    return getattr(element, "sourceline", None)


def _element_id(element):
    node = element
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else None


def _check_xsd(root, file_name, problems):
    tree = copy.deepcopy(root)
    VALIDATOR.preprocess(tree)
    schema = VALIDATOR.validator
    if not schema.validate(tree):
        for error in schema.error_log:
            problems.append(Problem(file_name, error.line, f"BPMN schema: {error.message}"))


_REFERENCE_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "default", "processRef", "messageRef",
                         "errorRef", "escalationRef", "signalRef")


def _check_references(root, file_name, problems):
    """Every reference to another element names an element of this file (the XSD cannot say so)."""
    ids = set(root.xpath("//@id"))
    for attribute in _REFERENCE_ATTRIBUTES:
        for element in root.xpath(f"//bpmn:*[@{attribute}]", namespaces=NSMAP):
            target = element.get(attribute)
            if target and target not in ids:
                problems.append(Problem(file_name, _line(element),
                                        f"{etree.QName(element).localname} '{element.get('id')}': {attribute} "
                                        f"'{target}' names no element in this file", element.get("id")))


def _check_code(root, file_name, problems):
    for xpath, mode in _CODE_XPATHS:
        for element in root.xpath(xpath, namespaces=NSMAP):
            _check_one(element.text, mode, element, file_name, problems)
    for name, what in ((DUE_DATE_PROPERTY, "due date"), (NOT_BEFORE_PROPERTY, "earliest allowed date (notBefore)")):
        for prop in root.xpath(f"//spiffworkflow:property[@name='{name}']", namespaces=NSMAP):
            _check_one(prop.get("value"), "eval", prop, file_name, problems, what)
    for param in root.xpath("//spiffworkflow:serviceTaskOperator/spiffworkflow:parameter", namespaces=NSMAP):
        _check_one(param.get("value"), "eval", param, file_name, problems, f"parameter '{param.get('id')}'")


def _check_one(source, mode, element, file_name, problems, what=None):
    if source is None or not source.strip():
        if mode == "eval" and etree.QName(element).localname in ("timeDate", "timeDuration", "timeCycle"):
            problems.append(Problem(file_name, _line(element), "timer has no expression", _element_id(element)))
        return
    what = what or etree.QName(element).localname
    try:
        check_code(source.strip() if mode == "eval" else source, mode)
    except SandboxViolation as err:
        problems.append(Problem(file_name, _offset(element, err), f"{what}: {err}", _element_id(element)))
    except SyntaxError as err:
        problems.append(Problem(file_name, _offset(element, err), f"{what} does not compile: {err.msg}",
                                _element_id(element)))


def _offset(element, err):
    line = _line(element)
    lineno = getattr(err, "lineno", None)
    return line + lineno - 1 if line and lineno else line


def _spiff_problem(err, file_name, roots):
    if not isinstance(err, ValidationException):
        # The parser met something it has no message for; say what, without a traceback.
        return Problem(file_name, None, f"SpiffWorkflow cannot parse this diagram: {type(err).__name__}: {err}")
    file_name = err.file_name or file_name
    element_id = getattr(err, "id", "") or None
    # SpiffWorkflow 3.2 looks for a line attribute lxml does not have; find the element ourselves.
    element = _find(roots[file_name], element_id) if element_id and file_name in roots else None
    message = err.args[0] if err.args else str(err)
    if getattr(err, "tag", ""):
        message = f"{message} {err.tag} '{err.name or element_id}'"
    return Problem(file_name, _line(element) or getattr(err, "line_number", None) or None, message, element_id)


def _load_forms(forms, problems):
    """forms: {file name: text}. Returns {form id: (file name, text)} of the parseable ones."""
    loaded = {}
    for name, text in forms.items():
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as err:
            problems.append(Problem(name, err.lineno, f"not valid JSON: {err.msg}"))
            continue
        found = check_schema(schema, name)
        problems.extend(found)
        form_id = schema.get("id") if isinstance(schema, dict) else None
        if form_id:
            if form_id in loaded:
                problems.append(Problem(name, None, f"form id '{form_id}' is also used by {loaded[form_id][0]}"))
            loaded[form_id] = (name, text)
    return loaded


def validate(bpmn_files: dict, forms: dict = None, deployed_sources=None) -> Bundle:
    """Validate BPMN files ({name: bytes}) with their forms ({name: text}).

    `deployed_sources(process_id)` returns ({file name: bytes}, {form file name: text}) of
    an already deployed process, used for call activities whose target is not among the files.
    Raises InvalidDefinition listing every problem.
    """
    bundle = Bundle()
    problems = bundle.problems
    bundle.forms = _load_forms(forms or {}, problems)

    roots = {}
    for name, content in bpmn_files.items():
        if isinstance(content, str):
            content = content.encode("utf-8")
        try:
            root = parse(content, name)
        except UnsafeXml as err:
            problems.append(err.problem)
            continue
        if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
            problems.append(Problem(name, _line(root), "not a BPMN 2.0 file: the root must be bpmn:definitions"))
            continue
        deadlines.derive(root, name, problems)
        _check_xsd(root, name, problems)
        _check_references(root, name, problems)
        _check_code(root, name, problems)
        roots[name] = root
    if problems:
        raise InvalidDefinition(problems)

    parser = EngineParser()
    for name, root in roots.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception as err:  # noqa: BLE001 - reported as a problem of this file
            problems.append(_spiff_problem(err, name, roots))
        for process in root.xpath("bpmn:process", namespaces=NSMAP):
            pid = process.get("id")
            bundle.process_files[pid] = name
            bundle.process_names[pid] = process.get("name") or pid
            if process.get("isExecutable") == "true":
                bundle.executable.append(pid)
    if problems:
        raise InvalidDefinition(problems)
    if not bundle.executable:
        raise InvalidDefinition([Problem(", ".join(bpmn_files) or "(no files)", None,
                                         "no executable process (isExecutable=\"true\") in these files")])

    _resolve_calls(roots, parser, bundle, deployed_sources)
    if problems:
        raise InvalidDefinition(problems)

    for pid in bundle.executable:
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
        except Exception as err:  # noqa: BLE001 - reported as a problem of this process's file
            problems.append(_spiff_problem(err, bundle.process_files[pid], roots))
            continue
        bundle.specs[pid] = (spec, subprocess_specs)
        _check_specs(pid, spec, subprocess_specs, roots, bundle)
    if problems:
        raise InvalidDefinition(problems)
    return bundle


def _resolve_calls(roots, parser, bundle, deployed_sources):
    """Every called process must be in the files or already deployed; deployed ones are parsed in."""
    pending = [(name, root) for name, root in roots.items()]
    while pending:
        name, root = pending.pop()
        for call in root.xpath("//bpmn:callActivity", namespaces=NSMAP):
            owner = call.xpath("ancestor::bpmn:process", namespaces=NSMAP)
            if owner:
                bundle.calls.setdefault(owner[0].get("id"), set()).add(call.get("calledElement"))
            target = call.get("calledElement")
            if not target:
                bundle.problems.append(Problem(name, _line(call), "call activity names no called process",
                                               call.get("id")))
                continue
            if target in bundle.process_files:
                continue
            sources = deployed_sources(target) if deployed_sources else None
            if sources is None:
                bundle.problems.append(Problem(
                    name, _line(call),
                    f"call activity '{call.get('name') or call.get('id')}' calls process '{target}', "
                    f"which is neither in these files nor deployed", call.get("id")))
                continue
            dep_bpmn, dep_forms = sources
            for form_name, text in dep_forms.items():
                form_id = json.loads(text).get("id")
                bundle.forms.setdefault(form_id, (form_name, text))
            for dep_name, content in dep_bpmn.items():
                if dep_name in roots:
                    continue
                dep_root = parse(content, dep_name)
                deadlines.derive(dep_root, dep_name, [])  # valid when it was deployed
                roots[dep_name] = dep_root
                parser.add_bpmn_xml(dep_root, filename=dep_name)
                for process in dep_root.xpath("bpmn:process", namespaces=NSMAP):
                    bundle.process_files.setdefault(process.get("id"), dep_name)
                pending.append((dep_name, dep_root))


def _check_specs(pid, spec, subprocess_specs, roots, bundle):
    directory = get_directory()
    problems = bundle.problems
    used_forms = set()
    for process_spec in [spec, *subprocess_specs.values()]:
        file_name = bundle.process_files.get(process_spec.name, bundle.process_files[pid])
        root = roots.get(file_name)
        for task_spec in process_spec.task_specs.values():
            element = _find(root, task_spec.bpmn_id) if root is not None else None
            line = _line(element)
            label = task_spec.bpmn_name or task_spec.bpmn_id
            if task_spec.manual:
                if not task_spec.lane:
                    problems.append(Problem(file_name, line, f"user task '{label}' is in no lane; "
                                            f"its lane must name an office role", task_spec.bpmn_id))
                elif directory.role_for_lane(task_spec.lane) is None:
                    known = ", ".join(f"{code} ({name})" for code, name in directory.roles().items())
                    problems.append(Problem(file_name, line, f"lane '{task_spec.lane}' of user task '{label}' "
                                            f"names no known office role; known roles: {known}",
                                            task_spec.bpmn_id))
                form = (task_spec.extensions.get("properties") or {}).get(FORM_PROPERTY)
                if form:
                    used_forms.add(form)
                    if form not in bundle.forms:
                        problems.append(Problem(file_name, line, f"user task '{label}' uses form '{form}', "
                                                f"which is not among the deployed forms", task_spec.bpmn_id))
            operator = getattr(task_spec, "operation_name", None)
            if operator is not None and not services.is_registered(operator):
                problems.append(Problem(file_name, line, f"service task '{label}' calls '{operator}', which "
                                        f"is not a registered service handler", task_spec.bpmn_id))
    bundle.form_refs[pid] = sorted(used_forms)


def _find(root, bpmn_id):
    found = root.xpath("//*[@id=$id]", id=bpmn_id)
    return found[0] if found else None
