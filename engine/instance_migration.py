"""Moving running instances to another version of their definition.

For each instance a plan says what migrating does: which open tasks are kept, reset
(their element changed: they restart from the new definition) or removed, which
timers' due times move, which open human tasks get another due date; or why it is
refused. A migration is refused where it would rewrite history: a completed or
started task whose element changed or is gone, or an instance waiting at an element
the new version does not have.

Applying migrates the safe instances only, each in its own step (one transaction
holding the instance lock), through the same mirror as every other step. In the
background it runs as a MigrationJob (the job engine.jobs.run_migration_job) whose counters
a page can show as progress; an instance that fails keeps its old version and the
job goes on with the others.

Timers keep their due times unless their element changed. A changed one is counted
again from the moment the instance began to wait on it (a changed cycle restarts now);
a changed human task's due date is counted from when the task opened. So a 15-day
deadline counted from an agreement date becomes 10 days from that same date.
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState as SpiffState

from . import audit, batch, clock, queue, spiff_private, workcalendar
from .bpmn.serializer import spec_registry
from .errors import EngineError, InvalidInput, NotFound, PermissionDenied
from .models import HumanTask, MigrationItem, MigrationJob, ProcessInstance
from .models.instances import InstanceState
from .models.tasks import TaskState
from .runtime import mirror
from .runtime.loading import load_workflow, specs_for, version_by_id
from .runtime.locking import locked_instance
from .runtime.step import advance
from .versions import acting_tenant, bound_tenant, get_version, require_process_owner, tenant_label

# Tasks that are history: their element may not change under them.
_HISTORY = SpiffState.COMPLETED | SpiffState.STARTED
# Tasks that are the instance's present: open work and what it waits for.
_PRESENT = SpiffState.READY | SpiffState.WAITING | SpiffState.STARTED
# A failed instance may move to a version that fixes what failed, then be retried.
_MIGRATABLE = (*InstanceState.ACTIVE, InstanceState.FAILED)
# Changes of a finished element that do not touch what the instance did.
_COSMETIC = {"bpmn_name", "description", "documentation"}


class MigrationFailed(EngineError):
    """Migrating one instance raised; it keeps its version."""


@dataclass
class Plan:
    """What migrating one instance to a target version does, or why it is refused."""

    instance: ProcessInstance
    target: object  # DefinitionVersion
    reasons: list = field(default_factory=list)  # {code, element, name, message}
    error: str = ""  # the plan itself failed (an expression of the new version raised)
    kept: list = field(default_factory=list)  # open tasks and waits left as they are
    reset: list = field(default_factory=list)  # open tasks whose element changed
    removed: list = field(default_factory=list)  # open tasks the new version drops
    added: list = field(default_factory=list)  # open tasks and waits the new version adds
    timers: list = field(default_factory=list)  # {task_id, element, name, from, to} whose due time moves
    tasks: list = field(default_factory=list)  # open human tasks whose due date changes
    workflow: object = field(default=None, repr=False)  # migrated in memory, when safe
    # What apply() writes, keyed by task id.
    _task_updates: dict = field(default_factory=dict, repr=False)
    _timer_updates: dict = field(default_factory=dict, repr=False)

    @property
    def safe(self):
        return not self.reasons and not self.error

    def effects(self):
        """The plan's effects as JSON (for a page and a job item)."""
        return {"kept": self.kept, "reset": self.reset, "removed": self.removed, "added": self.added,
                "timers": self.timers, "tasks": self.tasks}

    def as_dict(self):
        return {
            "instance": str(self.instance.pk), "business_key": self.instance.business_key,
            "state": self.instance.state, "from_version": self.instance.version.number,
            "to_version": self.target.number, "safe": self.safe, "reasons": self.reasons,
            "error": self.error or None, **self.effects(),
        }


def _iso(moment):
    return moment.isoformat() if moment else None


def _reason(code, message, task=None):
    return _spec_reason(code, message, task.task_spec if task is not None else None)


def _spec_reason(code, message, spec=None):
    return {"code": code, "element": getattr(spec, "bpmn_id", None) or getattr(spec, "name", None),
            "name": getattr(spec, "bpmn_name", None) or "", "message": message}


def _label(task):
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name


def _describe(task):
    return {"task_id": str(task.id), "element": task.task_spec.bpmn_id or task.task_spec.name,
            "name": task.task_spec.bpmn_name or "", "state": SpiffState.get_name(task.state)}


def _timer_definition(task):
    return next((d for d in mirror.event_definitions(task) if isinstance(d, TimerEventDefinition)), None)


def _timer_due(task):
    definition = _timer_definition(task)
    return mirror.timer_due(task, definition) if definition is not None else None


def _diffs(workflow, spec, subprocess_specs):
    """[(workflow or subworkflow, SpecDiff, WorkflowDiff, new spec)]; a subprocess without a new spec has None."""
    registry = spec_registry()
    spec_diff = SpecDiff(registry, workflow.spec, spec)
    diffs = [(workflow, spec_diff, WorkflowDiff(workflow, spec_diff), spec)]
    for sub in workflow.subprocesses.values():
        new = subprocess_specs.get(sub.spec.name)
        if new is None:
            diffs.append((sub, None, None, None))
        else:
            sub_diff = SpecDiff(registry, sub.spec, new)
            diffs.append((sub, sub_diff, WorkflowDiff(sub, sub_diff), new))
    return diffs


def _refusals(diffs, completed):
    """Why the diffs may not be applied; `completed`: the BPMN ids of every element the instance completed,
    including those its stored state no longer holds (engine/runtime/pruning.py)."""
    reasons = []
    for sub, spec_diff, wf_diff, _new in diffs:
        if wf_diff is None:
            reasons.append({"code": "subprocess_removed", "element": sub.spec.name, "name": sub.spec.description or "",
                            "message": _("正在进行的子流程“%(name)s”在新版本中不存在") % {"name": sub.spec.name}})
            continue
        changed = spec_diff.changed
        for task in wf_diff.removed:
            if task.has_state(_HISTORY):
                reasons.append(_reason("finished_removed", _("已办理的“%(name)s”在新版本中被删除") % {
                    "name": _label(task)}, task))
            elif task.has_state(SpiffState.READY | SpiffState.WAITING):
                reasons.append(_reason("waiting_removed", _("实例正停在“%(name)s”，新版本中已没有这一步") % {
                    "name": _label(task)}, task))
        for task in wf_diff.changed:
            what = set(changed.get(task.task_spec, ())) - _COSMETIC
            if task.has_state(_HISTORY) and what:
                reasons.append(_reason("finished_changed", _("已办理的“%(name)s”在新版本中有改动（%(what)s）") % {
                    "name": _label(task), "what": ", ".join(sorted(what))}, task))
        reasons += _history_refusals(spec_diff, completed)
    unique = {(r["code"], r["element"]): r for r in reversed(reasons)}
    return [r for r in reasons if unique.get((r["code"], r["element"])) is r]


def _history_refusals(spec_diff, completed):
    """Refusals for completed elements that only the instance's history remembers."""
    reasons = []
    for spec in spec_diff.removed:
        if spec.bpmn_id in completed:
            reasons.append(_spec_reason("finished_removed", _("已办理的“%(name)s”在新版本中被删除") % {
                "name": spec.bpmn_name or spec.bpmn_id}, spec))
    for spec, changes in spec_diff.changed.items():
        what = set(changes) - _COSMETIC
        if spec.bpmn_id in completed and what:
            reasons.append(_spec_reason("finished_changed", _("已办理的“%(name)s”在新版本中有改动（%(what)s）") % {
                "name": spec.bpmn_name or spec.bpmn_id, "what": ", ".join(sorted(what))}, spec))
    return reasons


def plan(instance, target, rows=None) -> Plan:
    """Work out migrating `instance` to `target` on its workflow in memory; nothing is written.

    When safe, the migrated workflow is on `plan.workflow` for _apply().
    `rows`: the instance's mirror.KnownRows (read here when not given).
    """
    result = Plan(instance, target)
    if instance.version_id == target.pk:
        result.reasons.append(_reason("already_on_target", _("实例已在第 %(n)s 版上") % {"n": target.number}))
    elif instance.version.definition_id != target.definition_id:
        result.reasons.append(_reason("other_definition", _("实例属于另一个流程定义")))
    elif target.tenant not in ("", instance.tenant):
        result.reasons.append(_reason("other_tenant", _("实例属于%(tenant)s，不能迁移到%(other)s自己的版本") % {
            "tenant": tenant_label(instance.tenant) or _("共用版本"), "other": tenant_label(target.tenant)}))
    elif instance.state not in _MIGRATABLE:
        result.reasons.append(_reason("not_running", _("实例状态为“%(state)s”，只能迁移运行中、等待中或出错的实例") % {
            "state": InstanceState.LABELS.get(instance.state, instance.state)}))
    if result.reasons:
        return result
    rows = rows or mirror.KnownRows(instance)
    try:
        workflow = load_workflow(instance)
        spec, subprocess_specs = specs_for(target)
        diffs = _diffs(workflow, spec, subprocess_specs)
        result.reasons = _refusals(diffs, set(instance.completed_elements))
        if not result.reasons:
            _migrate(result, workflow, diffs, subprocess_specs, rows)
    except Exception as err:  # noqa: BLE001 - e.g. an expression of the new version: reported per instance
        result.error = _("按新版本计算时出错：%(error)s") % {"error": err}
        return result
    if result.safe:
        result.workflow = workflow
    return result


def _migrate(result, workflow, diffs, subprocess_specs, rows):
    before = {t.id: t for t in workflow.get_tasks(state=_PRESENT)}
    changed_specs = {spec for _sub, spec_diff, _wf, _new in diffs for spec in spec_diff.changed}
    changed = {task_id for task_id, task in before.items() if task.task_spec in changed_specs}
    # Spiff resets every ready task (re-predicting what follows from the new spec); an unchanged one
    # gets its own data back. Waiting tasks are reset only when their element changed, so the due
    # time of an unchanged timer stays exactly as it was.
    kept_state = {task_id: spiff_private.task_state(task) for task_id, task in before.items()
                  if task_id not in changed and task.state == SpiffState.READY}
    last = workflow.last_task
    for sub, _spec_diff, wf_diff, new in diffs:
        migrate_workflow(wf_diff, sub, new, reset_mask=SpiffState.READY)
    # SpiffWorkflow forgets the last task it ran, whose data the instance's row shows (lists, visibility).
    if last is not None and workflow.last_task is None:
        workflow.last_task = workflow.tasks.get(last.id)
    workflow.subprocess_specs = subprocess_specs
    for task_id, state in kept_state.items():
        if task_id in workflow.tasks:
            spiff_private.restore_task_state(workflow.tasks[task_id], state)
    for task_id in changed:
        task = workflow.tasks.get(task_id)
        if task is None or task.state != SpiffState.WAITING:
            continue
        timer = rows.timers.get(task_id)
        if timer is not None and not isinstance(_timer_definition(task), CycleTimerEventDefinition):
            with clock.frozen_at(timer.armed_at):
                task.reset_branch(None)
        else:
            task.reset_branch(None)
    _check_placed(result, workflow)
    if result.reasons:
        return
    after = {t.id: t for t in workflow.get_tasks(state=_PRESENT)}
    for task_id, task in before.items():
        if task_id not in after:
            result.removed.append(_describe(task))
        else:
            (result.reset if task_id in changed else result.kept).append(_describe(after[task_id]))
    result.added = [_describe(t) for task_id, t in after.items() if task_id not in before]
    _plan_timers(result, after, rows)
    _plan_task_rows(result, workflow, after, changed, rows)


def _check_placed(result, workflow):
    """Every task left in the tree must have its element in the new version, or the state cannot be loaded."""
    names = set(workflow.spec.task_specs)
    for sub in workflow.subprocesses.values():
        names |= {f"{sub.spec.name}:{n}" for n in sub.spec.task_specs}
    for task in workflow.get_tasks():
        owner = task.workflow
        name = task.task_spec.name if owner is workflow else f"{owner.spec.name}:{task.task_spec.name}"
        if name not in names:
            result.reasons.append(_reason("cannot_place", _("“%(name)s”（%(state)s）在新版本中没有对应的元素") % {
                "name": _label(task), "state": SpiffState.get_name(task.state)}, task))


def _plan_timers(result, after, rows):
    waiting = {task_id: task for task_id, task in after.items() if task.state == SpiffState.WAITING}
    for task_id, row in rows.timers.items():
        task = waiting.get(task_id)
        due = _timer_due(task) if task is not None else None
        if due != row.due_at:
            result.timers.append({"task_id": str(task_id), "element": row.bpmn_id, "name": row.name,
                                  "from": _iso(row.due_at), "to": _iso(due)})
            if due is not None:
                result._timer_updates[task_id] = due
    for task_id, task in waiting.items():
        due = _timer_due(task)
        if task_id not in rows.timers and due is not None:
            result.timers.append({"task_id": str(task_id), "element": task.task_spec.bpmn_id,
                                  "name": task.task_spec.bpmn_name or "", "from": None, "to": _iso(due)})


def _plan_task_rows(result, workflow, after, changed, rows):
    """New values for the open human task rows whose element changed (they keep their id and history)."""
    for task_id, row in rows.tasks.items():
        task = after.get(task_id)
        if task is None or task_id not in changed:
            continue
        with clock.frozen_at(row.created_at):  # the due date counts from when the task opened
            values = mirror.task_row_values(workflow, task)
        updates = {k: v for k, v in values.items() if getattr(row, k) != v}
        if updates:
            result._task_updates[task_id] = updates
        if "due_at" in updates:
            result.tasks.append({"task_id": str(task_id), "element": row.bpmn_id, "name": row.name,
                                 "office": values["office"], "from": _iso(row.due_at), "to": _iso(values["due_at"])})


def _apply(instance, rows, target, job=None) -> Plan:
    """Migrate the locked `instance` (its step's KnownRows `rows`) to `target` if its plan is safe."""
    result = plan(instance, target, rows)
    if result.error:
        raise MigrationFailed(result.error)
    if not result.safe:
        return result
    source = instance.version
    for task_id, updates in result._task_updates.items():
        row = rows.tasks[task_id]
        if "office" in updates and row.state == TaskState.CLAIMED:
            row.release()  # claimed by someone of the office the task no longer belongs to
            batch.update(row, HumanTask.TRANSITION_FIELDS)
        audit.record("task.migrated", instance=instance, task_id=task_id,
                     data={k: _iso(v) if isinstance(v, datetime) else v for k, v in updates.items()}
                     | {"from_due_at": _iso(row.due_at)})
        for name, value in updates.items():
            setattr(row, name, value)
        batch.update(row, list(updates))
    for task_id, due in result._timer_updates.items():
        row = rows.timers[task_id]
        audit.record("timer.migrated", instance=instance, task_id=task_id,
                     data={"element": row.bpmn_id, "from": _iso(row.due_at), "to": _iso(due)})
        row.due_at, row.state, row.claimed_at = due, row.WAITING, None
        row.provisional = workcalendar.is_provisional_span(row.armed_at.astimezone(clock.CHINA).year,
                                                           due.astimezone(clock.CHINA).year)
        batch.update(row, ["due_at", "state", "claimed_at", "provisional"])
    instance.version = version_by_id(target.pk)
    batch.update(instance, ["version"])
    audit.record("instance.migrated", instance=instance, data={
        "key": target.definition.key, "from_version": source.number, "to_version": target.number,
        **({"tenant": instance.tenant} if instance.tenant else {}),
        "job": job.pk if job is not None else None,
        "timers": result.timers, "tasks": result.tasks, "removed": result.removed})
    failed_before = instance.state == InstanceState.FAILED
    advance(instance, result.workflow, rows)
    if instance.state == InstanceState.FAILED and not failed_before:
        # The new version fails where the old one ran: keep the old one (the caller rolls back).
        raise MigrationFailed(_("迁移后实例在“%(element)s”出错：%(error)s") % {
            "element": instance.error_element, "error": instance.error})
    return result


def _instance_ids(key, ids):
    try:
        wanted = {uuid.UUID(str(i)) for i in ids}
    except ValueError:
        raise InvalidInput({"instances": _("实例编号格式不正确")}) from None
    found = set(ProcessInstance.objects.filter(version__definition__key=key, pk__in=wanted)
                .values_list("pk", flat=True))
    if wanted - found:
        raise NotFound(_("流程“%(key)s”没有这些实例：%(ids)s") % {
            "key": key, "ids": ", ".join(sorted(str(i) for i in wanted - found))})
    return wanted


def _scope(target, actor, tenant=None):
    """The tenant whose instances a migration to `target` looks at: the target's when it is a tenant's own,
    else the one `actor` acts for; None (every instance on a shared version) for a shared target, unbound."""
    if target.tenant:
        return acting_tenant(actor, target.tenant)
    return acting_tenant(actor, tenant) or None


def _select(key, target, from_number=None, instances=None, tenant=None):
    """The instances to look at: given ids or queryset, else every open one not on the target; of `tenant`
    only, when given (else, unless given, only those on shared versions: a tenant's own stay its own)."""
    query = ProcessInstance.objects.filter(version__definition__key=key)
    if tenant is not None:
        query = query.filter(tenant=tenant)
    if instances is None:
        query = query.filter(state__in=InstanceState.OPEN).exclude(version=target)
        if tenant is None:
            query = query.filter(version__tenant="")
    elif hasattr(instances, "values_list"):
        query = query.filter(pk__in=instances.values_list("pk", flat=True))
    else:
        query = query.filter(pk__in=_instance_ids(key, instances))
    if from_number is not None:
        query = query.filter(version=get_version(key, from_number))
    return query.select_related("version__definition").defer("version__spec_json").order_by("started_at")


def preview_migration(key, to_number, *, from_number=None, instances=None, actor=None, tenant=None) -> list:
    """What migrating instances of `key` to version `to_number` would do to each; nothing is written.

    `instances`: instance ids or a ProcessInstance queryset (a page's filter); by default every
    open instance of `key` not on the target, only those on version `from_number` when given. Only the
    instances of one tenant are looked at: the target's when it is a tenant's own version, else the one
    `actor` is bound to, else `tenant`; migrating to a shared version, unbound and without `tenant`, looks at
    the instances on shared versions (the given ones: whichever).
    Returns Plan.as_dict() per instance: instance, business_key, state, from_version, to_version,
    safe, reasons [{code, element, name, message}], error, and the effects: kept/reset/removed/added
    [{task_id, element, name, state}], timers [{task_id, element, name, from, to}] whose due time moves
    (ISO times; from None = a new timer, to None = one that goes), tasks [{task_id, element, name,
    office, from, to}] open human tasks whose due date changes.
    """
    target = get_version(key, to_number, actor)
    scope = _scope(target, actor, tenant)
    return [plan(instance, target).as_dict() for instance in _select(key, target, from_number, instances, scope)]


def migrate_instance(instance_id, to_number, actor=None) -> Plan:
    """Migrate one instance now, in one step holding its lock (process owners only).

    Returns its Plan; an unsafe one is refused (plan.safe False, plan.reasons) and nothing changes.
    Raises MigrationFailed when the new version cannot be applied to it.
    """
    require_process_owner(actor)
    with locked_instance(instance_id) as (instance, rows), audit.acting_as(actor):
        bound = bound_tenant(actor)
        if bound and instance.tenant != bound:
            raise PermissionDenied(_("实例属于%(tenant)s，您不能迁移它") % {
                "tenant": tenant_label(instance.tenant) or _("共用版本")})
        return _apply(instance, rows, get_version(instance.version.definition.key, to_number, actor))


def create_migration_job(key, to_number, *, from_number=None, instances=None, actor=None,
                         tenant=None) -> MigrationJob:
    """Record a job to migrate instances of `key` to version `to_number` (selection as preview_migration).

    The job is queued; run it with run_migration_job (start_migration also hands it to the worker).
    """
    require_process_owner(actor)
    target = get_version(key, to_number, actor)
    scope = _scope(target, actor, tenant)
    selected = list(_select(key, target, from_number, instances, scope).values_list("pk", flat=True))
    if not selected:
        raise InvalidInput({"instances": _("没有需要迁移的实例")})
    with transaction.atomic(), audit.acting_as(actor):
        job = MigrationJob.objects.create(definition=target.definition, target=target,
                                          requested_by=audit.current_actor(), total=len(selected))
        MigrationItem.objects.bulk_create([MigrationItem(job=job, instance_id=pk) for pk in selected])
        audit.record("migration.requested", data={"job": job.pk, "key": key, "to_version": to_number,
                                                  "from_version": from_number, "instances": len(selected),
                                                  **({"tenant": scope} if scope else {})})
    return job


def start_migration(key, to_number, *, from_number=None, instances=None, actor=None, tenant=None) -> MigrationJob:
    """Create a migration job and run it in the background (Celery) once it is committed."""
    job = create_migration_job(key, to_number, from_number=from_number, instances=instances, actor=actor,
                               tenant=tenant)
    queue.enqueue_on_commit(queue.RUN_MIGRATION_JOB, job.pk)
    return job


def run_migration_job(job_id) -> MigrationJob:
    """Migrate the job's pending instances one by one; safe to run again after an interruption."""
    with transaction.atomic():
        job = MigrationJob.objects.select_for_update().select_related("target__definition").get(pk=job_id)
        if job.state == MigrationJob.QUEUED:
            job.begin()
            job.save()
        elif job.state != MigrationJob.RUNNING:
            return job
    try:
        for item_id in list(job.items.filter(state=MigrationItem.PENDING).values_list("pk", flat=True)):
            _run_item(job, item_id)
    except Exception as err:
        with transaction.atomic():
            job.refresh_from_db()
            job.abort(str(err))
            job.save()
        raise
    with transaction.atomic():
        job.refresh_from_db()
        job.finish()
        job.save()
    return job


def _count(job, counter):
    MigrationJob.objects.filter(pk=job.pk).update(**{counter: F(counter) + 1})


def _run_item(job, item_id):
    item = MigrationItem.objects.get(pk=item_id)
    source = None
    try:
        with locked_instance(item.instance_id) as (instance, rows), audit.acting_as(job.requested_by):
            item.instance, source = instance, instance.version
            result = _apply(instance, rows, job.target, job)
            if result.safe:
                item.mark_migrated(source, result.effects())
            else:
                item.mark_skipped(source, result.reasons)
            item.save()
            _count(job, "migrated" if result.safe else "skipped")
    except Exception as err:  # noqa: BLE001 - one instance's failure must not stop the others
        with transaction.atomic(), audit.acting_as(job.requested_by):
            item = MigrationItem.objects.select_related("instance").get(pk=item_id)
            source = source or version_by_id(item.instance.version_id)
            item.mark_failed(source, [{"code": "error", "element": None, "name": "", "message": str(err)}])
            item.save()
            _count(job, "failed")


def job_status(job_id) -> dict:
    """A job's progress for a page: state, counts, progress (0-1) and each processed instance's outcome."""
    job = MigrationJob.objects.select_related("definition", "target").filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("没有迁移任务 %(id)s") % {"id": job_id})
    # Polled while the job runs: the instances' state and the versions' specs stay in the database.
    items = (job.items.select_related("instance", "from_version").order_by("id")
             .only("instance__business_key", "from_version__number", "state", "reasons", "effects"))
    return {
        "id": job.pk, "key": job.definition.key, "target": job.target.number, "state": job.state,
        "state_label": str(MigrationJob.LABELS.get(job.state, job.state)),
        "requested_by": job.requested_by, "requested_at": job.requested_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "total": job.total, "migrated": job.migrated, "skipped": job.skipped,
        "failed": job.failed, "processed": job.processed, "progress": job.progress, "error": job.error or None,
        "items": [{"instance": str(i.instance_id), "business_key": i.instance.business_key, "state": i.state,
                   "from_version": i.from_version.number if i.from_version else None,
                   "reasons": i.reasons, "effects": i.effects} for i in items],
    }
