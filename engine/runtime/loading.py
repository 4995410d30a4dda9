"""Turning instance rows into SpiffWorkflow workflows and back.

Specs are deserialized once per version and process, then shared: running a
step costs the instance's own state only. And a workflow that a step of this
process committed is kept: the next step on the instance takes it instead of
deserializing, when the row it locked still holds exactly what was committed.
"""
import threading
from collections import OrderedDict
from contextlib import contextmanager
from functools import partial

from django.db import connection, transaction
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from .. import batch
from ..bpmn.serializer import SERIALIZER_VERSION, dump_state, load_specs, load_state
from ..models import DefinitionVersion, ProcessDefinition, TenantPin
from ..scripting.engine import EngineScriptEngine

_CACHE_SIZE = 128
# Current version ids are remembered per process and tenant: a nation's provinces have hundreds of pairs.
_CURRENT_IDS_SIZE = 4096
_cache = OrderedDict()
_versions = OrderedDict()
_current_ids = OrderedDict()
_forms = OrderedDict()
_names = OrderedDict()
_workflows = OrderedDict()
_lock = threading.Lock()

# Which version is current for a tenant: asked with every start (another process may have deployed since),
# in plain SQL because it runs on the hottest path. The tenant's pin, else its latest own version if it has
# one, else the shared pin or latest shared version. Parameters: tenant, key, tenant, tenant.
CURRENT_VERSION_SQL = """
    SELECT v.id, v.content_hash FROM {version} v JOIN {definition} d ON d.id = v.definition_id
    LEFT JOIN {pin} p ON p.definition_id = d.id AND p.tenant = %s
    WHERE d.key = %s AND CASE
        WHEN p.version_id IS NOT NULL THEN v.id = p.version_id
        WHEN EXISTS (SELECT 1 FROM {version} w WHERE w.definition_id = d.id AND w.tenant = %s AND w.tenant <> '')
            THEN v.tenant = %s
        ELSE v.tenant = '' AND (d.pinned_version_id IS NULL OR d.pinned_version_id = v.id) END
    ORDER BY v.number DESC LIMIT 1
""".format(version=DefinitionVersion._meta.db_table, definition=ProcessDefinition._meta.db_table,
           pin=TenantPin._meta.db_table)


def _remember(cache, key, value):
    with _lock:
        cache[key] = value
        while len(cache) > (_CURRENT_IDS_SIZE if cache is _current_ids else _CACHE_SIZE):
            cache.popitem(last=False)
    return value


def _recall(cache, key):
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    return None


def _take(cache, key):
    with _lock:
        return cache.pop(key, None)


def _give_back(cache, key, value):
    """Keep `value` again unless something else was kept under `key` meanwhile."""
    with _lock:
        if key not in cache:
            cache[key] = value
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)


class StaleVersion(Exception):
    """The remembered current version of a definition is current no more."""


def _current_params(key, tenant):
    return [tenant, key, tenant, tenant]


def current_version(key, tenant="", fresh=False):
    """The version new instances of `key` for `tenant` start on, or None.

    Remembered per process and tenant: a step that starts an instance confirms it with expect_current()
    in the same round trip as its writes, instead of asking first.
    """
    version_id = None if fresh else _recall(_current_ids, (key, tenant))
    if version_id is not None:
        return version_by_id(version_id)
    with connection.cursor() as cursor:
        cursor.execute(CURRENT_VERSION_SQL, _current_params(key, tenant))
        row = cursor.fetchone()
    if row is None:
        return None
    _remember(_current_ids, (key, tenant), row[0])
    return version_by_id(*row)


def current_versions(tenant=""):
    """The version new instances of `tenant` start on, of each definition by key, in one query (scoped_versions):
    its own pin or latest own version, else the shared one (pinned, else latest).

    Asked afresh each time: unlike current_version, nothing here confirms a remembered version later.
    """
    chosen = {}
    for owner, version in scoped_versions():
        if owner == tenant or (owner == "" and version.definition.key not in chosen):
            chosen[version.definition.key] = version
    return [chosen[key] for key in sorted(chosen)]


# For every definition, the version new instances of no tenant start on, and that of each tenant with a version or a
# pin of its own: (tenant, version id) rows, in one round trip (the dispatcher asks at every tick).
SCOPED_VERSIONS_SQL = """
    SELECT '', COALESCE(d.pinned_version_id, (SELECT v.id FROM {version} v WHERE v.definition_id = d.id
                                              AND v.tenant = '' ORDER BY v.number DESC LIMIT 1))
    FROM {definition} d
    UNION ALL
    SELECT t.tenant, COALESCE(
        (SELECT p.version_id FROM {pin} p WHERE p.definition_id = t.definition_id AND p.tenant = t.tenant),
        (SELECT v.id FROM {version} v WHERE v.definition_id = t.definition_id AND v.tenant = t.tenant
         ORDER BY v.number DESC LIMIT 1))
    FROM (SELECT definition_id, tenant FROM {version} WHERE tenant <> ''
          UNION SELECT definition_id, tenant FROM {pin}) t
""".format(version=DefinitionVersion._meta.db_table, definition=ProcessDefinition._meta.db_table,
           pin=TenantPin._meta.db_table)


def scoped_versions():
    """[(tenant, version)]: the version new instances of each definition start on, for no tenant ("") and for each
    tenant with a version or a pin of its own, asked afresh in one query."""
    with connection.cursor() as cursor:
        cursor.execute(SCOPED_VERSIONS_SQL)
        rows = cursor.fetchall()
    return [(tenant, version_by_id(version_id)) for tenant, version_id in rows if version_id]


def expect_current(key, tenant, version):
    """Fail the step with StaleVersion if `version` is not the current one of `key` for `tenant` when it
    commits."""
    batch.current().require(f"SELECT count(*) FROM ({CURRENT_VERSION_SQL}) current WHERE id = %s AND content_hash = %s",
                            [*_current_params(key, tenant), version.pk, version.content_hash], StaleVersion())


def version_by_id(version_id, content_hash=None):
    """A version row (without its specs), cached: versions never change once deployed.

    A content hash, when the caller has it, guards against a row id that came back after a
    rolled-back transaction.
    """
    version = _recall(_versions, version_id)
    if version is None or (content_hash and version.content_hash != content_hash):
        version = _remember(_versions, version_id, DefinitionVersion.objects.select_related("definition")
                            .defer("spec_json").get(pk=version_id))
    return version


def forget():
    """Drop every cache of this module (tests roll back rows the caches may hold)."""
    with _lock:
        _cache.clear()
        _versions.clear()
        _current_ids.clear()
        _forms.clear()
        _names.clear()
        _workflows.clear()


def specs_for(version):
    # The hash is part of the key: a row id can come back after a rolled-back transaction.
    key = (version.pk, version.content_hash)
    specs = _recall(_cache, key)
    if specs is None:
        spec_json = DefinitionVersion.objects.values_list("spec_json", flat=True).get(pk=version.pk)
        specs = _remember(_cache, key, load_specs(spec_json))
    return specs


def element_names(version):
    """{BPMN id: name} of the version's named elements, those of the processes it calls included: what a page
    shows for the element an instance waits at (a timer, a message catch) rather than its id. Cached, as the specs
    they come from are."""
    key = (version.pk, version.content_hash)
    names = _recall(_names, key)
    if names is None:
        spec, subprocess_specs = specs_for(version)
        names = _remember(_names, key, {
            task_spec.bpmn_id: task_spec.bpmn_name for process in (*subprocess_specs.values(), spec)
            for task_spec in process.task_specs.values()
            if getattr(task_spec, "bpmn_id", None) and getattr(task_spec, "bpmn_name", None)})
    return names


def form_schema(version, form_id):
    """The schema of a form deployed with the version (cached: deployed files never change)."""
    key = (version.pk, version.content_hash, form_id)
    schema = _recall(_forms, key)
    if schema is None:
        schema = _remember(_forms, key, version.form(form_id))
    return schema


def new_workflow(instance):
    spec, subprocess_specs = specs_for(instance.version)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=EngineScriptEngine(instance))


def _take_kept(instance):
    """(kept entry, its workflow bound to `instance`) when the workflow kept for the instance is the one its row
    holds, else (None, None). Taken from the cache, so nobody else holds it meanwhile."""
    kept = _take(_workflows, instance.pk)
    if kept is None or kept[0] != instance.serialized or kept[1] is not specs_for(instance.version)[0]:
        return None, None
    workflow = kept[2]
    workflow.script_engine = EngineScriptEngine(instance)  # bound to this caller's instance object
    return kept, workflow


def load_workflow(instance):
    """The instance's workflow as its row holds it.

    A kept workflow is handed out once (taken from the cache), so two steps never share one, and
    one a step changed but did not commit is never seen again.
    """
    _kept, workflow = _take_kept(instance)
    return read_workflow(instance) if workflow is None else workflow


@contextmanager
def lent_workflow(instance):
    """The instance's workflow for reading only within the block (a task's form): the kept one when it is
    current, else deserialized, and kept afterwards, so the next step need not deserialize it (again).

    While it is lent a step on the instance deserializes its own, and what that step commits is kept
    rather than the lent one. The reader changes nothing of it, nor hands out what it holds (copy it).
    """
    kept, workflow = _take_kept(instance)
    if kept is None:
        workflow = read_workflow(instance)
        kept = (instance.serialized, workflow.spec, workflow)
    try:
        yield workflow
    finally:
        _give_back(_workflows, instance.pk, kept)


def read_workflow(instance):
    """The instance's workflow for reading only (a page showing it): deserialized, never the kept one.

    Taking the kept workflow for a look would leave the next step to deserialize inside its lock
    (lent_workflow gives it back).
    """
    spec, subprocess_specs = specs_for(instance.version)
    workflow = load_state(instance.serialized, spec, subprocess_specs, instance.serializer_version)
    # The script engine is not part of the serialization.
    workflow.script_engine = EngineScriptEngine(instance)
    return workflow


def store_workflow(instance, workflow):
    """Serialize the workflow into the instance row; once the step commits, keep it for the next step."""
    instance.serialized = dump_state(workflow)
    instance.serializer_version = SERIALIZER_VERSION
    transaction.on_commit(partial(_remember, _workflows, instance.pk, (instance.serialized, workflow.spec, workflow)))
