"""Versions of a process definition: their history, which one new instances start on, how two differ.

`actor` is as in engine.api: a Django user (who must be a process owner for the
changes here), a username string, or None for the system (command line).
"""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from . import audit
from .bpmn import compare
from .directory import get_directory
from .errors import NotFound, PermissionDenied
from .deployment import version_files
from .models import DefinitionFile, DefinitionVersion, ProcessDefinition, ProcessInstance


def require_process_owner(actor):
    """Raise PermissionDenied unless `actor` is a process owner; the system and named scripts pass."""
    if isinstance(actor, get_user_model()) and not get_directory().is_process_owner(actor):
        raise PermissionDenied(_("只有省民政厅的流程负责人可以管理流程版本"))


def get_definition(key) -> ProcessDefinition:
    return _definition_or_not_found(ProcessDefinition.objects.filter(key=key).first(), key)


def _definition_or_not_found(definition, key):
    if definition is None:
        raise NotFound(_("没有流程定义“%(key)s”") % {"key": key})
    return definition


def get_version(key, number) -> DefinitionVersion:
    """Version `number` of definition `key` (NotFound names both when there is none)."""
    version = DefinitionVersion.objects.select_related("definition").defer("spec_json").filter(
        definition__key=key, number=number).first()
    if version is None:
        get_definition(key)
        raise NotFound(_("流程“%(key)s”没有第 %(number)s 版") % {"key": key, "number": number})
    return version


def version_history(key) -> list:
    """Every version of `key`, newest first, as dicts a page or the command line can show.

    Each: number, name, note, deployed_by, deployed_at (aware datetime), content_hash,
    is_latest, is_pinned, is_current (new instances start on it), and instances:
    {state: count} of the instances on it, with "total".
    """
    definition = get_definition(key)
    versions = list(definition.versions.defer("spec_json").order_by("-number"))
    counts = {}
    for version_id, state, n in (ProcessInstance.objects.filter(version__definition=definition)
                                 .values_list("version_id", "state").annotate(n=Count("id")).order_by()):
        counts.setdefault(version_id, {})[state] = n
    latest = versions[0].pk if versions else None
    current = definition.pinned_version_id or latest
    history = []
    for version in versions:
        by_state = counts.get(version.pk, {})
        history.append({
            "number": version.number, "name": version.name, "note": version.note,
            "deployed_by": version.deployed_by, "deployed_at": version.deployed_at,
            "content_hash": version.content_hash,
            "is_latest": version.pk == latest, "is_pinned": version.pk == definition.pinned_version_id,
            "is_current": version.pk == current,
            "instances": {**by_state, "total": sum(by_state.values())},
        })
    return history


def _locked_definition(key):
    """Definition `key`, locked, and the number of its pinned version (None when not pinned)."""
    definition = _definition_or_not_found(
        ProcessDefinition.objects.select_for_update(of=("self",)).select_related("pinned_version")
        .defer("pinned_version__spec_json").filter(key=key).first(), key)
    return definition, definition.pinned_version.number if definition.pinned_version else None


def pin_version(key, number, actor=None) -> DefinitionVersion:
    """Make new instances of `key` start on version `number` instead of the latest (process owners only)."""
    require_process_owner(actor)
    with transaction.atomic(), audit.acting_as(actor):
        definition, previous = _locked_definition(key)
        version = get_version(key, number)
        definition.pinned_version = version
        definition.save(update_fields=["pinned_version"])
        audit.record("definition.pinned", data={"key": key, "version": number, "previous": previous})
    return version


def unpin_version(key, actor=None) -> None:
    """New instances of `key` start on the latest version again (process owners only)."""
    require_process_owner(actor)
    with transaction.atomic(), audit.acting_as(actor):
        definition, previous = _locked_definition(key)
        definition.pinned_version = None
        definition.save(update_fields=["pinned_version"])
        audit.record("definition.unpinned", data={"key": key, "previous": previous})


def _compared_sources(version):
    """(BPMN files {name: bytes}, forms {form id: JSON text}) of a version."""
    bpmn, forms = version_files(version)
    return {f.name: f.content.encode("utf-8") for f in bpmn}, {f.form_id: f.content for f in forms}


def compare_versions(key, from_number, to_number) -> dict:
    """What changed from version `from_number` to `to_number` of `key`, element by element.

    Returns {"key", "from", "to", "added", "removed", "changed", "markers", "forms"}:
    added/removed/changed list diagram elements by BPMN id (id, type, name, process, file; a
    changed one has `changes`: {"name"|"type"|"lane"|"incoming"|"outgoing"|"condition"|
    "properties.dueDate"|"timer.timeDate"|"attributes.camunda:assignee"|...: {"from", "to"}});
    markers maps each such id to "added", "removed" or "changed" for colouring the diagram;
    forms lists form ids {"added", "removed", "changed"}.
    """
    old_bpmn, old_forms = _compared_sources(get_version(key, from_number))
    new_bpmn, new_forms = _compared_sources(get_version(key, to_number))
    result = compare.compare(old_bpmn, new_bpmn)
    result["forms"] = {
        "added": sorted(set(new_forms) - set(old_forms)),
        "removed": sorted(set(old_forms) - set(new_forms)),
        "changed": sorted(i for i in set(old_forms) & set(new_forms) if old_forms[i] != new_forms[i]),
    }
    return {"key": key, "from": from_number, "to": to_number, **result}


def diagram(key, number) -> dict:
    """The files of a version exactly as deployed:
    {"bpmn": {name: xml}, "decisions": {name: DMN xml}, "forms": {name: json}}.

    What a modeler opens: the original XML, with any other tool's extensions and diagram layout.
    """
    files, forms = version_files(get_version(key, number))
    return {"bpmn": {f.name: f.content for f in files if f.kind == DefinitionFile.BPMN},
            "decisions": {f.name: f.content for f in files if f.kind == DefinitionFile.DMN},
            "forms": {f.name: f.content for f in forms}}
