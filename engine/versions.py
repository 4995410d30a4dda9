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
from .errors import InvalidInput, NotFound, PermissionDenied
from .deployment import version_files
from .models import DefinitionFile, DefinitionVersion, ProcessDefinition, ProcessInstance, TenantPin
from .runtime.loading import current_version


def require_process_owner(actor):
    """Raise PermissionDenied unless `actor` is a process owner; the system and named scripts pass."""
    if isinstance(actor, get_user_model()) and not get_directory().is_process_owner(actor):
        raise PermissionDenied(_("只有省民政厅的流程负责人可以管理流程版本"))


def bound_tenant(actor) -> str:
    """The tenant a person is bound to (engine.directory.Directory.tenant_of); "" for the unbound, the system
    and named scripts."""
    return get_directory().tenant_of(actor) if isinstance(actor, get_user_model()) else ""


def acting_tenant(actor, tenant=None) -> str:
    """The tenant `actor` deploys, pins or migrates for: its own when bound to one (asking for another is
    refused), else `tenant` (None or "": the shared versions)."""
    bound = bound_tenant(actor)
    if bound and tenant not in (None, bound):
        raise PermissionDenied(_("您只能管理%(own)s的流程版本，不能管理%(other)s的") % {
            "own": tenant_label(bound), "other": tenant_label(tenant) or _("共用版本")})
    if not bound and tenant and tenant not in get_directory().tenants():
        raise InvalidInput({"tenant": _("没有租户“%(tenant)s”") % {"tenant": tenant}})
    return bound or tenant or ""


def tenant_label(tenant) -> str:
    """What people call a tenant ("" for none)."""
    return get_directory().tenants().get(tenant, tenant) if tenant else ""


def tenants() -> dict:
    """The tenants there are: {tenant: label} (engine.directory.Directory.tenants)."""
    return get_directory().tenants()


def may_see(version, actor) -> bool:
    """Whether `actor` sees `version`: the shared versions and those of its own tenant, or every one when it is
    bound to none."""
    bound = bound_tenant(actor)
    return not bound or version.tenant in ("", bound)


def _named(tenant):
    """The tenant as audit data: named when there is one, so shared changes read as they always did."""
    return {"tenant": tenant} if tenant else {}


def get_definition(key) -> ProcessDefinition:
    return _definition_or_not_found(ProcessDefinition.objects.filter(key=key).first(), key)


def _definition_or_not_found(definition, key):
    if definition is None:
        raise NotFound(_("没有流程定义“%(key)s”") % {"key": key})
    return definition


def get_version(key, number, actor=None) -> DefinitionVersion:
    """Version `number` of definition `key` (NotFound names both when there is none); PermissionDenied when it
    is another tenant's than the one `actor` is bound to."""
    version = DefinitionVersion.objects.select_related("definition").defer("spec_json").filter(
        definition__key=key, number=number).first()
    if version is None:
        get_definition(key)
        raise NotFound(_("流程“%(key)s”没有第 %(number)s 版") % {"key": key, "number": number})
    if not may_see(version, actor):
        raise PermissionDenied(_("流程“%(key)s”第 %(number)s 版是%(tenant)s自己的版本，您不能查看或使用") % {
            "key": key, "number": number, "tenant": tenant_label(version.tenant)})
    return version


def version_history(key, actor=None, tenant=None) -> list:
    """The versions of `key` that `actor` sees, newest first, as dicts a page or the command line can show.

    Each: number, name, note, deployed_by, deployed_at (aware datetime), content_hash, tenant ("" shared) and
    tenant_label, is_latest, is_pinned, is_current (for the tenant `actor` is bound to, else `tenant`, else
    for no tenant: new instances start on it / it is pinned), and instances: {state: count} of the instances
    on it (of that tenant only, for a bound actor), with "total".
    """
    definition = get_definition(key)
    bound = bound_tenant(actor)
    viewed = bound or tenant or ""
    versions = [v for v in definition.versions.defer("spec_json").order_by("-number") if may_see(v, actor)]
    instances = ProcessInstance.objects.filter(version__definition=definition)
    if bound:
        instances = instances.filter(tenant=bound)
    counts = {}
    for version_id, state, n in instances.values_list("version_id", "state").annotate(n=Count("id")).order_by():
        counts.setdefault(version_id, {})[state] = n
    latest = versions[0].pk if versions else None
    current = current_version(key, viewed, fresh=True)
    pinned = _pinned_id(definition, viewed)
    known = get_directory().tenants()
    labels = {t: known.get(t, t) for t in {v.tenant for v in versions}}
    history = []
    for version in versions:
        by_state = counts.get(version.pk, {})
        history.append({
            "number": version.number, "name": version.name, "note": version.note,
            "deployed_by": version.deployed_by, "deployed_at": version.deployed_at,
            "content_hash": version.content_hash, "tenant": version.tenant, "tenant_label": labels[version.tenant],
            "is_latest": version.pk == latest, "is_pinned": version.pk == pinned,
            "is_current": current is not None and version.pk == current.pk,
            "instances": {**by_state, "total": sum(by_state.values())},
        })
    return history


def _pinned_id(definition, tenant):
    if not tenant:
        return definition.pinned_version_id
    return TenantPin.objects.filter(definition=definition, tenant=tenant).values_list("version_id", flat=True).first()


def _locked_definition(key, tenant):
    """Definition `key`, locked, and the number of its version pinned for `tenant` (None when not pinned)."""
    definition = _definition_or_not_found(
        ProcessDefinition.objects.select_for_update(of=("self",)).filter(key=key).first(), key)
    pinned = _pinned_id(definition, tenant)
    return definition, DefinitionVersion.objects.filter(pk=pinned).values_list("number", flat=True).first()


def pin_version(key, number, actor=None, tenant=None) -> DefinitionVersion:
    """Make new instances of `key` start on version `number` instead of the latest (process owners only): for
    the tenant `actor` is bound to, else for `tenant`, else for every instance of no tenant with its own.

    A tenant may pin a shared version or its own; the shared pin is a shared version."""
    require_process_owner(actor)
    tenant = acting_tenant(actor, tenant)
    with transaction.atomic(), audit.acting_as(actor):
        definition, previous = _locked_definition(key, tenant)
        version = get_version(key, number, actor)
        if version.tenant not in ("", tenant):
            raise InvalidInput({"number": _("第 %(number)s 版是%(other)s自己的版本，不能为%(tenant)s固定") % {
                "number": number, "other": tenant_label(version.tenant),
                "tenant": tenant_label(tenant) or _("共用版本")}})
        if tenant:
            TenantPin.objects.update_or_create(definition=definition, tenant=tenant, defaults={"version": version})
        else:
            definition.pinned_version = version
            definition.save(update_fields=["pinned_version"])
        audit.record("definition.pinned", data={"key": key, "version": number, "previous": previous,
                                                **_named(tenant)})
    return version


def unpin_version(key, actor=None, tenant=None) -> None:
    """New instances of `key` start on the latest version again (process owners only; tenant as pin_version)."""
    require_process_owner(actor)
    tenant = acting_tenant(actor, tenant)
    with transaction.atomic(), audit.acting_as(actor):
        definition, previous = _locked_definition(key, tenant)
        if tenant:
            TenantPin.objects.filter(definition=definition, tenant=tenant).delete()
        else:
            definition.pinned_version = None
            definition.save(update_fields=["pinned_version"])
        audit.record("definition.unpinned", data={"key": key, "previous": previous, **_named(tenant)})


def _compared_sources(version):
    """(BPMN files {name: bytes}, forms {form id: JSON text}) of a version."""
    bpmn, forms = version_files(version)
    return {f.name: f.content.encode("utf-8") for f in bpmn}, {f.form_id: f.content for f in forms}


def compare_versions(key, from_number, to_number, actor=None) -> dict:
    """What changed from version `from_number` to `to_number` of `key`, element by element.

    Returns {"key", "from", "to", "added", "removed", "changed", "markers", "forms"}:
    added/removed/changed list diagram elements by BPMN id (id, type, name, process, file; a
    changed one has `changes`: {"name"|"type"|"lane"|"incoming"|"outgoing"|"condition"|
    "properties.dueDate"|"timer.timeDate"|"attributes.camunda:assignee"|...: {"from", "to"}});
    markers maps each such id to "added", "removed" or "changed" for colouring the diagram;
    forms lists form ids {"added", "removed", "changed"}.
    """
    old_bpmn, old_forms = _compared_sources(get_version(key, from_number, actor))
    new_bpmn, new_forms = _compared_sources(get_version(key, to_number, actor))
    result = compare.compare(old_bpmn, new_bpmn)
    result["forms"] = {
        "added": sorted(set(new_forms) - set(old_forms)),
        "removed": sorted(set(old_forms) - set(new_forms)),
        "changed": sorted(i for i in set(old_forms) & set(new_forms) if old_forms[i] != new_forms[i]),
    }
    return {"key": key, "from": from_number, "to": to_number, **result}


def diagram(key, number, actor=None) -> dict:
    """The files of a version exactly as deployed:
    {"bpmn": {name: xml}, "decisions": {name: DMN xml}, "forms": {name: json}}.

    What a modeler opens: the original XML, with any other tool's extensions and diagram layout.
    """
    files, forms = version_files(get_version(key, number, actor))
    return {"bpmn": {f.name: f.content for f in files if f.kind == DefinitionFile.BPMN},
            "decisions": {f.name: f.content for f in files if f.kind == DefinitionFile.DMN},
            "forms": {f.name: f.content for f in forms}}
