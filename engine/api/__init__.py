"""The engine's public surface: the one module code outside engine/ calls (with engine.models for
reading rows, engine.errors for what goes wrong, and engine.extensions for what the domain plugs in).

Commands change state. Each runs as one transaction that holds the lock of the instance it acts on;
one that runs the workflow (start, complete_task, resume, ...) returns a StepResult saying what the
step did: the instance, the task rows it opened and closed, its audit rows. `actor` is a Django user
(permissions are checked against the office directory), a username string, or None for the system.

Queries read. Who sees which rows is the domain's rule; the engine's rules are here and on the
models' QuerySets (HumanTask.objects.overdue(), ...).

    from engine import api
    result = api.start("county_annual_cycle", business_key="county-2027-520102", data={...}, actor=user)
    api.complete_task(result.open_tasks[0].id, {...}, actor=user)
"""
from .. import clock
from ..attachments import save_attachment as upload_attachment
from ..audit import SYSTEM, actor_name
from ..audit import record as record_event
from ..runtime.loading import element_names
from ..runtime.results import StepResult
from ..storable import text_problem
from . import calendar, formjs
from .background import dispatch_due_timers, recompute_due_times, run_migration_job
from .definitions import (DeployResult, acting_tenant, bound_tenant, compare_versions, convert_deadlines, decision_inputs, deploy, form_labels, lint, diagram, get_definition, get_version, lane_roles,
                          layout_source, located_on_diagram, main_file, pin_version, read_files, service_names,
                          start_version,
                          tenant_label, tenants, try_decision, unpin_version, validate, version_diagram, version_history)
from .instances import CONTROL_LABELS, advance_instance, cancel, resume, retry, start, suspend
from .comments import add_comment, comments_on, mentioned, mentions_of
from .messages import deliver_message, deliver_signal, send_message, send_signal
from .migration import (MigrationFailed, Plan, create_migration_job, job_status, migrate_instance, preview_migration,
                        start_migration)
from .schedules import skip_scheduled
from .reads import (DUE_SOON_WORKDAYS, DueExplanation, TaskForm, deadline_data, diagram_marks, due_soon_limit,
                    explain_due, inbox, task_form, working_offices)
from .tasks import (claim, complete_task, delegate, discard_drafts, reassign, release, resolve_task, save_draft,
                    task_draft)

__all__ = [
    # results and names
    "StepResult", "TaskForm", "DeployResult", "Plan", "MigrationFailed", "CONTROL_LABELS", "SYSTEM", "actor_name",
    # what both databases store
    "text_problem",
    # instances
    "start", "suspend", "resume", "retry", "cancel", "advance_instance",
    # tasks
    "claim", "release", "reassign", "delegate", "resolve_task", "complete_task", "task_form", "upload_attachment",
    "formjs",
    "save_draft", "task_draft", "discard_drafts",
    # comments
    "add_comment", "comments_on", "mentioned", "mentions_of",
    # messages
    "send_message", "deliver_message", "send_signal", "deliver_signal",
    # definitions and versions
    "validate", "lint", "deploy", "read_files", "layout_source", "convert_deadlines", "form_labels", "located_on_diagram", "main_file", "version_diagram",
    "diagram", "get_definition", "get_version", "version_history", "pin_version", "unpin_version",
    "compare_versions", "lane_roles", "service_names", "decision_inputs", "try_decision", "acting_tenant",
    "bound_tenant", "tenant_label", "tenants", "start_version",
    # migration
    "preview_migration", "migrate_instance", "create_migration_job", "start_migration", "job_status",
    # reads, and the audit trail of what the domain does
    "inbox", "working_offices", "due_soon_limit", "DUE_SOON_WORKDAYS", "diagram_marks", "element_names", "explain_due",
    "DueExplanation", "deadline_data", "record_event",
    # time, the calendar and the system's work
    "clock", "calendar", "dispatch_due_timers", "recompute_due_times", "run_migration_job", "skip_scheduled",
]
