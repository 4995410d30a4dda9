"""Process definitions and their versions: validate, deploy, read, pin, compare.

`actor` is as everywhere in engine.api; pinning needs a process owner. A version is shared or a tenant's own
(engine/versions.py): a process owner bound to a tenant deploys, pins and migrates for it alone and sees the
shared versions and its own; the unbound, the system and named scripts may name any `tenant` ("" or None:
shared).
"""
from functools import partial

from .. import services
from ..bpmn import deadlines, files
from ..bpmn.lint import lint
from ..formjs.labels import form_labels as _form_labels
from ..bpmn.layout import layout_source
from ..bpmn.validation import validate as _validate
from ..deployment import DeployResult, deploy as _deploy, deployed_sources, read_files, version_files
from ..decisions import trial
from ..directory import get_directory
from ..runtime.loading import current_version
from ..versions import (acting_tenant, bound_tenant, compare_versions, diagram, get_definition, get_version,
                        pin_version, tenant_label, tenants, unpin_version, version_history)

__all__ = [
    "DeployResult", "acting_tenant", "bound_tenant", "compare_versions", "tenant_label", "tenants", "convert_deadlines", "decision_inputs", "try_decision", "form_labels", "lint", "deploy", "diagram", "get_definition", "get_version", "lane_roles",
    "layout_source", "located_on_diagram", "main_file", "pin_version", "start_version", "read_files", "service_names", "unpin_version",
    "validate", "version_diagram", "version_history",
]

main_file = files.main_file
decision_inputs = trial.inputs
try_decision = trial.run
convert_deadlines = deadlines.convert_source
located_on_diagram = files.located_on_diagram


def validate(bpmn_files, forms=None, actor=None):
    """Check BPMN files ({name: bytes or text}) and forms ({name: JSON text}) as deploying would.

    Returns the ids of the executable processes; raises InvalidDefinition listing every problem.
    Call activities may name processes deployed earlier (the versions of the tenant `actor` is bound to).
    """
    sources = partial(deployed_sources, tenant=bound_tenant(actor))
    return _validate(bpmn_files, forms or {}, sources).executable


def deploy(bpmn_files, forms=None, note="", actor=None, tenant=None) -> DeployResult:
    """Validate, then store a new version of each executable process whose content changed, for the tenant
    `actor` is bound to, else for `tenant` (another than its own is refused: PermissionDenied).

    bpmn_files: {file name: bytes or text}; forms: {file name: JSON text}. Raises InvalidDefinition
    with every problem, and nothing is stored then.
    """
    return _deploy(bpmn_files, forms, note=note, actor=actor, tenant=acting_tenant(actor, tenant))


def start_version(key, tenant=""):
    """The version new instances of `key` for `tenant` ("": of no tenant) start on, without its specs; or None."""
    return current_version(key, tenant, fresh=True)


def version_diagram(version, role_labels=True):
    """The deployed BPMN text of the file holding the version's process, or None; its lanes named by role
    labels (县(市、区)民政局, not county_bureau) unless `role_labels` is False."""
    bpmn, _forms = version_files(version)
    if not bpmn:
        return None
    texts = {f.name: f.content for f in bpmn}
    content = texts[main_file(version.definition.key, texts)]
    return files.with_lane_labels(content, get_directory().roles()) if role_labels else content.encode("utf-8")


def form_labels(version):
    """What the version's forms call its data, for pages that show it:
    {"fields": {key: label}, "options": {key: {value: label}}}."""
    _bpmn, forms = version_files(version)
    return _form_labels([f.form_schema for f in forms])


def lane_roles():
    """The office roles a lane may name: {code: label}."""
    return get_directory().roles()


def service_names():
    """The names of the registered service-task handlers, for a diagram's service tasks to call."""
    return services.names()

