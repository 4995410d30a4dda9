"""Deploying BPMN files and forms as new numbered versions of process definitions."""
import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db import transaction

from . import audit, clock
from .bpmn import compare, decision_refs
from .bpmn.parser import FORM_PROPERTY, NSMAP
from .bpmn.safe_xml import UnsafeXml, parse
from .bpmn.serializer import dump_specs
from .bpmn.validation import validate
from .errors import InvalidDefinition
from .models import DefinitionFile, DefinitionVersion, ProcessDefinition
from .runtime.loading import current_version


@dataclass
class DeployResult:
    created: list = field(default_factory=list)  # DefinitionVersion
    unchanged: list = field(default_factory=list)  # DefinitionVersion already holding this content


def version_files(version):
    """A deployed version's (diagram files: BPMN and DMN, form files), as DefinitionFile rows read in one query."""
    files = list(version.files.all())
    return [f for f in files if f.kind != DefinitionFile.FORM], [f for f in files if f.kind == DefinitionFile.FORM]


def deployed_sources(process_id, tenant=""):
    """Diagram files (BPMN and DMN) and forms of the version of a deployed process that `tenant`'s new instances
    start on, for call activities."""
    version = current_version(process_id, tenant, fresh=True)
    if version is None:
        return None
    bpmn, forms = version_files(version)
    return {f.name: f.content.encode("utf-8") for f in bpmn}, {f.name: f.content for f in forms}


def read_files(paths):
    """Load BPMN, DMN and form files from disk, with the forms and decisions their tasks name.

    A form a user task names and that is not given is looked for as FORM_ID.form next
    to the diagram and in a forms/ folder beside it; a decision a business rule task names,
    as DECISION_ID.dmn next to the diagram and in a decisions/ folder beside it.
    """
    bpmn, forms = {}, {}
    for raw in paths:
        path = Path(raw)
        if path.suffix == ".form":
            forms[path.name] = path.read_text(encoding="utf-8")
        else:
            bpmn[path.name] = path.read_bytes()
    given_ids = {_form_id(text) for text in forms.values()}
    for raw in paths:
        path = Path(raw)
        if path.suffix == ".form" or path.name not in bpmn:
            continue
        try:
            root = parse(bpmn[path.name], path.name)
        except UnsafeXml:
            continue  # validation reports it
        for task, _pid in decision_refs.business_rule_tasks(root):
            decision = decision_refs.called_decision(task)
            for candidate in (path.parent / f"{decision}.dmn", path.parent / "decisions" / f"{decision}.dmn"):
                if decision and candidate.name not in bpmn and candidate.exists():
                    bpmn[candidate.name] = candidate.read_bytes()
                    break
        for prop in root.xpath(f"//spiffworkflow:property[@name='{FORM_PROPERTY}']", namespaces=NSMAP):
            form_id = prop.get("value")
            if form_id in given_ids:
                continue
            for candidate in (path.parent / f"{form_id}.form", path.parent / "forms" / f"{form_id}.form"):
                if candidate.exists():
                    forms[candidate.name] = candidate.read_text(encoding="utf-8")
                    given_ids.add(form_id)
                    break
    return bpmn, forms


def _form_id(text):
    try:
        return json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None


def _closure(pid, calls):
    seen, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(calls.get(current, ()))
    return seen


def _content_hash(files, forms):
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(b"bpmn\0" + name.encode() + b"\0" + files[name] + b"\0")
    for name in sorted(forms):
        digest.update(b"form\0" + name.encode() + b"\0" + forms[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


def _means_the_same(version, files, forms):
    """Whether BPMN files ({name: bytes}) and forms ({name: JSON text}) say what the version says: the same
    elements (engine/bpmn/compare.py), and forms equal as JSON, whatever the layout or formatting."""
    deployed_bpmn, deployed_forms = version_files(version)
    if {f.name: json.loads(f.content) for f in deployed_forms} != {n: json.loads(t) for n, t in forms.items()}:
        return False
    difference = compare.compare({f.name: f.content.encode("utf-8") for f in deployed_bpmn}, files)
    return not (difference["added"] or difference["removed"] or difference["changed"])


def _latest_for(definition, tenant):
    """The latest version the tenant's deployment is compared with: its own, else the shared one."""
    versions = definition.versions.defer("spec_json").order_by("-number")
    return (tenant and versions.filter(tenant=tenant).first()) or versions.filter(tenant="").first()


def deploy(bpmn_files: dict, forms: dict = None, note="", actor=None, tenant="") -> DeployResult:
    """Validate, then store a new version of each executable process whose content changed, as `tenant`'s own
    ("": shared). Call activities take the versions the tenant's instances start on.

    bpmn_files: {file name: bytes or str}; forms: {file name: JSON text}.
    A process whose elements and forms say what the tenant's latest version says (its latest own one, else
    the latest shared one; only the layout or the formatting differ) is left unchanged. Raises
    InvalidDefinition with every problem; nothing is stored then.
    """
    bpmn_files = {name: c.encode("utf-8") if isinstance(c, str) else c for name, c in bpmn_files.items()}
    forms = dict(forms or {})
    sources = partial(deployed_sources, tenant=tenant)
    bundle = validate(bpmn_files, forms, sources)
    result = DeployResult()
    decision_names = set(bundle.decision_files.values())
    with transaction.atomic():
        for pid in bundle.executable:
            spec, subprocess_specs = bundle.specs[pid]
            needed = _closure(pid, bundle.calls)
            files = {}
            for process_id in needed:
                name = bundle.process_files.get(process_id)
                if name in bpmn_files:
                    files[name] = bpmn_files[name]
                elif name:
                    files.update(sources(process_id)[0])
            for process_id in needed:
                for decision in bundle.decision_refs.get(process_id, ()):
                    name = bundle.decision_files[decision]
                    if name in bpmn_files:
                        files[name] = bpmn_files[name]
            form_ids = set()
            for process_id in needed:
                form_ids.update(bundle.form_refs.get(process_id, ()))
            # Forms of called processes deployed earlier come along from their versions.
            version_forms = dict(bundle.forms[f] for f in form_ids if f in bundle.forms)
            content_hash = _content_hash(files, version_forms)
            definition, _ = ProcessDefinition.objects.select_for_update().get_or_create(
                key=pid, defaults={"name": bundle.process_names.get(pid, pid)})
            latest = definition.latest
            compared = _latest_for(definition, tenant)
            if compared is not None and (compared.content_hash == content_hash
                                         or _means_the_same(compared, files, version_forms)):
                result.unchanged.append(compared)
                continue
            version = DefinitionVersion.objects.create(
                definition=definition,
                number=(latest.number + 1) if latest else 1,
                tenant=tenant,
                name=bundle.process_names.get(pid, pid),
                content_hash=content_hash,
                note=note,
                deployed_by=audit.actor_name(actor) if actor is not None else audit.current_actor(),
                deployed_at=clock.now(),
                spec_json=dump_specs(spec, subprocess_specs),
            )
            DefinitionFile.objects.bulk_create(
                [DefinitionFile(version=version, name=n, content=c.decode("utf-8"),
                                kind=DefinitionFile.DMN if n in decision_names else DefinitionFile.BPMN)
                 for n, c in files.items()]
                + [DefinitionFile(version=version, kind=DefinitionFile.FORM, name=n, content=t,
                                  form_id=_form_id(t) or "") for n, t in version_forms.items()]
            )
            if definition.name != version.name:
                definition.name = version.name
                definition.save(update_fields=["name"])
            audit.record("definition.deployed", actor=actor, data={
                "key": pid, "version": version.number, "note": note, "hash": content_hash,
                **({"tenant": tenant} if tenant else {})})
            result.created.append(version)
    return result


__all__ = ["deploy", "read_files", "DeployResult", "InvalidDefinition"]
