"""Checking BPMN files and forms before anything is stored.

Every finding is a Problem located as file:line. The checks run in layers:
safe XML parsing, the BPMN XSD, SpiffWorkflow's parser, then the engine's own
rules (lanes name office roles, called processes exist, every expression
compiles in the sandbox, forms exist and are valid, service handlers exist).
"""
import copy
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _, gettext_lazy
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .. import services
from ..decisions import files as decision_files
from . import deadlines, decision_refs, iso_timers
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
    ("//spiffworkflow:payloadExpression", "eval"),
    ("//flow:startWith", "eval"),
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
    decision_files: dict = field(default_factory=dict)  # decision id -> DMN file name
    decision_refs: dict = field(default_factory=dict)  # process id -> decision ids its business rule tasks use
    # Process ids with a call that names no process found, or a business rule task no usable decision.
    unresolved: set = field(default_factory=set)
    broken_forms: int = 0  # form files that could not be read (a missing form may be one of them)
    broken_decisions: set = field(default_factory=set)  # decision ids of DMN files with problems
    unreadable_files: int = 0  # files not parsed at all (a missing decision may be in one of them)

    def calls_unresolved(self, pid):
        """Whether `pid`, or a process it calls however deep, has a call that names no process found."""
        seen, pending = set(), [pid]
        while pending:
            current = pending.pop()
            if current in self.unresolved:
                return True
            seen.add(current)
            pending.extend(called for called in self.calls.get(current, ()) if called not in seen)
        return False


def _line(element):
    return getattr(element, "sourceline", None)


def _label(element):
    """How a problem names an element: its name as the diagram shows it, a flow by the names it joins."""
    name = (element.get("name") or "").strip()
    if name:
        return name
    if etree.QName(element).localname == "sequenceFlow":
        root = element.getroottree().getroot()
        source, target = (_find(root, element.get(end) or "") for end in ("sourceRef", "targetRef"))
        if source is not None and target is not None:
            return _("%(source)s → %(target)s 的连线") % {"source": _label(source), "target": _label(target)}
    return element.get("id") or etree.QName(element).localname


def _owner_label(element):
    owner = _owner(element)
    return _label(owner) if owner is not None else etree.QName(element).localname


# What a piece of code is, as the modeler calls it.
_CODE_NAMES = {"conditionExpression": gettext_lazy("条件"), "timeDate": gettext_lazy("定时表达式"),
               "timeDuration": gettext_lazy("定时表达式"), "timeCycle": gettext_lazy("定时表达式"),
               "script": gettext_lazy("脚本"), "loopCardinality": gettext_lazy("循环次数"),
               "completionCondition": gettext_lazy("完成条件"), "messagePath": gettext_lazy("消息路径"),
               "formalExpression": gettext_lazy("关联表达式"), "preScript": gettext_lazy("前置脚本"),
               "postScript": gettext_lazy("后置脚本"), "messagePayload": gettext_lazy("消息内容"),
               "payloadExpression": gettext_lazy("事件内容"),
               "startWith": gettext_lazy("启动数据"),
               "expression": gettext_lazy("关联表达式")}


def _owner(element):
    """The element a piece of `element` belongs to: its task, event or flow (not an event definition)."""
    node = element
    while node is not None and (node.get("id") is None or etree.QName(node).localname.endswith("EventDefinition")):
        node = node.getparent()
    return node


def _element_id(element):
    owner = _owner(element)
    return owner.get("id") if owner is not None else None


def _check_xsd(root, file_name, problems):
    tree = copy.deepcopy(root)
    VALIDATOR.preprocess(tree)
    schema = VALIDATOR.validator
    if not schema.validate(tree):
        for error in schema.error_log:
            problems.append(Problem(file_name, error.line, _("BPMN 格式不符合标准：%(detail)s") % {"detail": error.message}))


_REFERENCE_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "default", "processRef", "messageRef",
                         "errorRef", "escalationRef", "signalRef")


def _check_references(root, file_name, problems):
    """Every reference to another element names an element of this file (the XSD cannot say so)."""
    ids = set(root.xpath("//@id"))
    for attribute in _REFERENCE_ATTRIBUTES:
        for element in root.xpath(f"//bpmn:*[@{attribute}]", namespaces=NSMAP):
            target = element.get(attribute)
            if target and target not in ids:
                problems.append(Problem(file_name, _line(element), _(
                    "“%(element)s”的 %(attribute)s 指向本文件中不存在的元素“%(target)s”：请重新连线或删除这条引用")
                    % {"element": _label(element), "attribute": attribute, "target": target}, element.get("id")))


# What SpiffWorkflow 3.2 cannot run, refused here rather than deployed to fail: (xpath, message).
_UNSUPPORTED = [
    ("//bpmn:compensateEventDefinition", gettext_lazy(
        "“%(element)s”是补偿事件，本引擎不能运行补偿：请改用错误事件或退回流程")),
    ("//bpmn:*[@isForCompensation='true']", gettext_lazy(
        "“%(element)s”是补偿活动，本引擎不能运行补偿：请改用错误事件或退回流程")),
    ("//bpmn:complexGateway", gettext_lazy("“%(element)s”是复杂网关，本引擎不能运行：请改用排他、并行或包容网关")),
    # SpiffWorkflow 3.2 reads an error or escalation start event as a plain start: its event subprocess
    # would run at once instead of waiting for the error.
    ("//bpmn:startEvent[bpmn:errorEventDefinition or bpmn:escalationEventDefinition]", gettext_lazy(
        "“%(element)s”是错误或上报开始事件，本引擎不能按它启动事件子流程：请在出错的活动上改用边界错误（或上报）事件")),
    ("//bpmn:dataStore", gettext_lazy(
        "数据存储“%(element)s”在本引擎中没有实现：请删除它，把要保存的内容放在流程数据或表单中")),
    # A data store drawn for the reader only is harmless; one that tasks read or write is not.
    ("//bpmn:dataStoreReference[not(@dataStoreRef = //bpmn:dataStore/@id)]"
     "[@id = //bpmn:sourceRef or @id = //bpmn:targetRef]",
     gettext_lazy("数据存储“%(element)s”在本引擎中没有实现：请删除它，把要保存的内容放在流程数据或表单中")),
]


def _check_gateway_flows(root, file_name, problems):
    """A flow out of a deciding gateway needs a condition unless it is the default (bpmnlint's conditional-flows;
    SpiffWorkflow refuses it too, in English and without saying which gateway)."""
    for gateway in root.xpath("//bpmn:exclusiveGateway | //bpmn:inclusiveGateway", namespaces=NSMAP):
        flows = root.xpath("//bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NSMAP, id=gateway.get("id"))
        if len(flows) < 2:
            continue
        for flow in flows:
            if flow.get("id") != gateway.get("default") and flow.find(f"{{{BPMN_NS}}}conditionExpression") is None:
                problems.append(Problem(file_name, _line(flow), _(
                    "分支“%(gateway)s”流向“%(target)s”的连线既没有条件也不是默认路径：请写上条件，或把它设为默认路径")
                    % {"gateway": _label(gateway), "target": _label_of(root, flow.get("targetRef"))}, flow.get("id")))


def _label_of(root, element_id):
    found = _find(root, element_id or "")
    return _label(found) if found is not None else element_id


def _check_unsupported(root, file_name, problems):
    for xpath, message in _UNSUPPORTED:
        for element in root.xpath(xpath, namespaces=NSMAP):
            problems.append(Problem(file_name, _line(element), str(message) % {"element": _owner_label(element)},
                                    _element_id(element)))


def _check_code(root, file_name, problems):
    for xpath, mode in _CODE_XPATHS:
        for element in root.xpath(xpath, namespaces=NSMAP):
            _check_one(element.text, mode, element, file_name, problems)
    for name, what in ((DUE_DATE_PROPERTY, _("办理期限表达式")), (NOT_BEFORE_PROPERTY, _("最早办理时间表达式"))):
        for prop in root.xpath(f"//spiffworkflow:property[@name='{name}']", namespaces=NSMAP):
            _check_one(prop.get("value"), "eval", prop, file_name, problems, what)
    for param in root.xpath("//spiffworkflow:serviceTaskOperator/spiffworkflow:parameter", namespaces=NSMAP):
        _check_one(param.get("value"), "eval", param, file_name, problems,
                   _("参数“%(name)s”") % {"name": param.get("id")})


def _check_one(source, mode, element, file_name, problems, what=None):
    if source is None or not source.strip():
        if mode == "eval" and etree.QName(element).localname in ("timeDate", "timeDuration", "timeCycle"):
            problems.append(Problem(file_name, _line(element), _("定时事件“%(element)s”没有填写到期时间")
                                    % {"element": _owner_label(element)}, _element_id(element)))
        return
    what = what or str(_CODE_NAMES.get(etree.QName(element).localname, etree.QName(element).localname))
    names = {"element": _owner_label(element), "what": what}
    try:
        check_code(source.strip() if mode == "eval" else source, mode)
    except SandboxViolation as err:
        problems.append(Problem(file_name, _offset(element, err), _("“%(element)s”的%(what)s不能这样写：%(detail)s")
                                % {**names, "detail": err}, _element_id(element)))
    except SyntaxError as err:
        problems.append(Problem(file_name, _offset(element, err), _(
            "“%(element)s”的%(what)s写法有误（%(detail)s）：请检查括号、引号和逗号是否成对、完整")
            % {**names, "detail": err.msg}, _element_id(element)))


def _offset(element, err):
    line = _line(element)
    lineno = getattr(err, "lineno", None)
    return line + lineno - 1 if line and lineno else line


def _spiff_problem(err, file_name, roots):
    if not isinstance(err, ValidationException):
        # The parser met something it has no message for; say what, without a traceback.
        return Problem(file_name, None, _("流程图无法解析：%(detail)s") % {"detail": f"{type(err).__name__}: {err}"})
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
            problems.append(Problem(name, err.lineno, _("不是有效的 JSON：%(detail)s") % {"detail": err.msg}))
            continue
        found = check_schema(schema, name)
        problems.extend(found)
        form_id = schema.get("id") if isinstance(schema, dict) else None
        if form_id:
            if form_id in loaded:
                problems.append(Problem(name, None, _("表单编号“%(form)s”也被 %(other)s 使用")
                                        % {"form": form_id, "other": loaded[form_id][0]}))
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
    bundle.broken_forms = len(forms or {}) - len({name for name, _text in bundle.forms.values()})

    # Every stage runs on what the stages before it could read, so one submission reports every problem:
    # a file whose schema or references are broken is not given to SpiffWorkflow's parser, whose messages
    # about it would only repeat them.
    roots, unfit, decision_roots = {}, set(), {}
    for name, content in bpmn_files.items():
        if isinstance(content, str):
            content = content.encode("utf-8")
        try:
            root = parse(content, name)
        except UnsafeXml as err:
            problems.append(err.problem)
            bundle.unreadable_files += 1
            continue
        if decision_files.is_decision_file(root):
            decision_roots[name] = root
            continue
        if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
            problems.append(Problem(name, _line(root), _(
                "不是 BPMN 2.0 或 DMN 文件：根元素须为 bpmn:definitions 或 dmn:definitions")))
            continue
        _prepare(root, name, problems)
        before = len(problems)
        _check_xsd(root, name, problems)
        _check_references(root, name, problems)
        _check_unsupported(root, name, problems)
        _check_gateway_flows(root, name, problems)
        if len(problems) > before:
            unfit.add(name)
        _check_code(root, name, problems)
        roots[name] = root

    parser = EngineParser()
    _add_decisions(decision_roots, parser, bundle)
    for name, root in roots.items():
        if name not in unfit:
            try:
                parser.add_bpmn_xml(root, filename=name)
            except Exception as err:  # noqa: BLE001 - reported as a problem of this file
                problems.append(_spiff_problem(err, name, roots))
                unfit.add(name)
        for process in root.xpath("bpmn:process", namespaces=NSMAP):
            pid = process.get("id")
            bundle.process_files[pid] = name
            bundle.process_names[pid] = process.get("name") or pid
            if process.get("isExecutable") == "true":
                bundle.executable.append(pid)
    if roots and not bundle.executable:
        name, root = next(iter(roots.items()))
        first = (root.xpath("bpmn:process", namespaces=NSMAP) or [root])[0]
        problems.append(Problem(name, _line(first), _("这些文件中没有可执行的流程（isExecutable=\"true\"）"),
                                first.get("id")))
    elif not roots and not problems:
        problems.append(Problem(_("（没有文件）"), None, _("这些文件中没有可执行的流程（isExecutable=\"true\"）")))

    fit = {name: root for name, root in roots.items() if name not in unfit}
    _resolve_calls(fit, parser, bundle, deployed_sources)
    roots.update(fit)  # with the deployed files the calls brought in
    _check_decision_refs(roots, bundle)
    for pid in bundle.executable:
        if bundle.process_files[pid] in unfit or bundle.calls_unresolved(pid):
            continue  # what stops it is reported already
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
                bundle.problems.append(Problem(name, _line(call), _("调用活动“%(element)s”没有指定要调用的流程")
                                               % {"element": _label(call)}, call.get("id")))
                bundle.unresolved.update(process.get("id") for process in owner)
                continue
            if target in bundle.process_files:
                continue
            sources = deployed_sources(target) if deployed_sources else None
            if sources is None:
                bundle.problems.append(Problem(name, _line(call), _(
                    "调用活动“%(element)s”调用的流程“%(target)s”既不在这些文件中，也尚未部署")
                    % {"element": _label(call), "target": target}, call.get("id")))
                bundle.unresolved.update(process.get("id") for process in owner)
                continue
            dep_bpmn, dep_forms = sources
            for form_name, text in dep_forms.items():
                form_id = json.loads(text).get("id")
                bundle.forms.setdefault(form_id, (form_name, text))
            for dep_name, content in dep_bpmn.items():
                if dep_name in roots or dep_name in bundle.decision_files.values():
                    continue
                dep_root = parse(content, dep_name)
                if decision_files.is_decision_file(dep_root):
                    _add_decisions({dep_name: dep_root}, parser, bundle, checked=True)
                    continue
                _prepare(dep_root, dep_name, [])  # valid when it was deployed
                roots[dep_name] = dep_root
                parser.add_bpmn_xml(dep_root, filename=dep_name)
                for process in dep_root.xpath("bpmn:process", namespaces=NSMAP):
                    bundle.process_files.setdefault(process.get("id"), dep_name)
                pending.append((dep_name, dep_root))


def _prepare(root, name, problems):
    """What the engine's dialect derives from a diagram before it is checked and parsed."""
    deadlines.derive(root, name, problems)
    iso_timers.quote_literals(root)
    decision_refs.adopt_camunda_refs(root)


def _add_decisions(decision_roots, parser, bundle, checked=False):
    """Check DMN files (unless deployed before) and give the parser those without problems."""
    for name, root in decision_roots.items():
        before = len(bundle.problems)
        ids = decision_files.decision_ids(root) if checked else decision_files.check(root, name, bundle.problems)
        for decision_id in ids:
            if decision_id in bundle.decision_files:
                bundle.problems.append(Problem(name, _line(root), _("决策编号“%(decision)s”也在 %(other)s 中使用")
                                               % {"decision": decision_id, "other": bundle.decision_files[decision_id]}))
            bundle.decision_files[decision_id] = name
        if len(bundle.problems) > before:
            bundle.broken_decisions.update(ids)
        else:
            parser.add_dmn_xml(root, filename=name)


def _check_decision_refs(roots, bundle):
    """Every business rule task names a decision of the files; a process whose decision is missing or
    broken is not parsed (its problem is reported here or with the decision)."""
    for name, root in roots.items():
        for task, pid in decision_refs.business_rule_tasks(root):
            decision = decision_refs.called_decision(task)
            bundle.decision_refs.setdefault(pid, set())
            if not decision:
                bundle.problems.append(Problem(name, _line(task), _(
                    "业务规则任务“%(task)s”没有指定决策表：请在属性面板中选择一个决策") % {"task": _label(task)},
                    task.get("id")))
            elif decision not in bundle.decision_files and not bundle.unreadable_files:
                known = "、".join(sorted(bundle.decision_files)) or _("（无）")
                bundle.problems.append(Problem(name, _line(task), _(
                    "业务规则任务“%(task)s”使用的决策“%(decision)s”不在这些文件中；已有的决策：%(known)s")
                    % {"task": _label(task), "decision": decision, "known": known}, task.get("id")))
            elif decision in bundle.decision_files:
                bundle.decision_refs[pid].add(decision)
                if decision not in bundle.broken_decisions:
                    continue
            bundle.unresolved.add(pid)


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
                    problems.append(Problem(file_name, line, _(
                        "人工任务“%(task)s”不在任何泳道中：请把它放进办理单位的泳道") % {"task": label},
                        task_spec.bpmn_id))
                elif directory.role_for_lane(task_spec.lane) is None:
                    known = "、".join(directory.roles().values())
                    problems.append(Problem(file_name, line, _(
                        "人工任务“%(task)s”所在的泳道“%(lane)s”不是已知的办理单位；可选：%(known)s")
                        % {"task": label, "lane": task_spec.lane, "known": known},
                                            task_spec.bpmn_id))
                form = (task_spec.extensions.get("properties") or {}).get(FORM_PROPERTY)
                if form:
                    used_forms.add(form)
                    if form not in bundle.forms and not bundle.broken_forms:
                        problems.append(Problem(file_name, line, _(
                            "人工任务“%(task)s”使用的表单“%(form)s”不存在：请在表单编辑器中创建，或改用已有的表单")
                            % {"task": label, "form": form}, task_spec.bpmn_id))
            operator = getattr(task_spec, "operation_name", None)
            if operator is not None and not services.is_registered(operator):
                problems.append(Problem(file_name, line, _(
                    "服务任务“%(task)s”调用的处理程序“%(operator)s”未注册：请从处理程序列表中选择")
                    % {"task": label, "operator": operator}, task_spec.bpmn_id))
    bundle.form_refs[pid] = sorted(used_forms)


def _find(root, bpmn_id):
    found = root.xpath("//*[@id=$id]", id=bpmn_id)
    return found[0] if found else None
