"""Timer start events: a process that starts itself, at a moment or on a cycle.

SpiffWorkflow runs a timer start event inside one instance (a cycle repeats the flow within it); here each
occurrence starts new instances instead. The dispatcher asks which occurrences of the current versions'
timer start events are due once the earliest unclaimed one has come (`next_at`), or the definitions or the
calendar changed; each is claimed once by inserting its ScheduledStart row (two dispatchers, or one after
downtime, find it taken), and an occurrence missed while nothing ran is started when the dispatcher runs
again, once.

What a start event says in the diagram:
- its timer: `timeDate` (one moment), `timeCycle` (an ISO 8601 repetition, `R/2027-01-01T09:00:00+08:00/P1Y`,
  `R5/...` for five), or `timeDuration` (once, that long after the version was deployed);
- `<flow:onWorkday/>`: an occurrence on a rest day moves to the next working day, same time;
- `<flow:startWith>EXPR</flow:startWith>`: the data to start with, evaluated at the occurrence with
  `occurrence` (its moment, China time) and the script functions in scope: a dict starts one instance,
  a list of dicts one each; a dict's `business_key` names its instance. Without it, one instance, no data.

Tenants (engine/versions.py): a tenant with a version or a pin of its own has its own schedule, that of the
version its instances start on, which starts only the tenant's instances (those whose data the directory says
are the tenant's); the shared schedule starts the rest. Each schedule claims its own occurrences.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition, DurationTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)
from SpiffWorkflow.util.task import TaskState

from .. import clock, spiff_private, workcalendar
from ..directory import get_directory
from ..models import ScheduledStart
from ..scripting.engine import EngineScriptEngine
from .loading import scoped_versions, specs_for
from .mirror import due_datetime, event_definitions_of

MAX_PER_TICK = 100  # occurrences one tick starts at most; the next tick goes on


@dataclass(frozen=True)
class Occurrence:
    version: object
    element: str
    at: datetime
    start_with: str  # the startWith expression, or ""
    tenant: str = ""  # whose schedule: "" the shared one
    others: frozenset = frozenset()  # of the shared schedule: the tenants with schedules of their own


def _timer_starts(spec):
    """(start event spec, its TimerEventDefinition) of the process's timer start events."""
    for start in spec.start.outputs:
        for definition in event_definitions_of(start):
            if isinstance(definition, TimerEventDefinition):
                yield start, definition


def _moments(definition, deployed_at, after, until):
    """The timer's moments in (after, until], in order."""
    value = EngineScriptEngine().environment.evaluate(definition.expression, {})
    if isinstance(definition, CycleTimerEventDefinition):
        yield from _cycle(value, after, until)
        return
    if isinstance(definition, DurationTimerEventDefinition):
        moment = deployed_at + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(value), deployed_at)
    elif isinstance(definition, TimeDateEventDefinition):
        moment = due_datetime(value)
    else:
        return
    if after < moment <= until:
        yield moment


def _cycle(value, after, until):
    """The moments of ISO 8601 repetition `value` in (after, until]. Each step is counted from the moment
    before it, so P1Y is a calendar year whether or not one is a leap year."""
    cycles, first, fixed = TimerEventDefinition.parse_iso_recurring_interval(value)
    parts = value.upper().replace("--", "/").strip("R").split("/")
    period = parts[2] if len(parts) == 3 and parts[2].startswith("P") else None
    moment, count = first, 0
    while moment <= until and (cycles < 0 or count < cycles):
        if moment > after:
            yield moment
        step = (TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(period), moment)
                if period else fixed)
        if step.total_seconds() <= 0:
            return
        moment, count = moment + step, count + 1


def _on_workday(moment):
    local = moment.astimezone(clock.CHINA)
    day = local.date()
    while not workcalendar.is_workday(day):
        day += timedelta(days=1)
    return datetime.combine(day, local.timetz())


def due(now=None, key=None):
    """The occurrences due by `now` and not claimed yet (of process `key`, or of every process), oldest
    first, at most MAX_PER_TICK."""
    now = now or clock.now()
    found = [o for o in _unclaimed(now, key) if o.at <= now]
    return sorted(found, key=lambda o: o.at)[:MAX_PER_TICK]


def next_at():
    """The moment the earliest occurrence not claimed yet falls due (past or to come), or None: until then
    a dispatcher has nothing to start."""
    return min((o.at for o in _unclaimed(None, None)), default=None)


def _unclaimed(until, key):
    """Each timer start event's occurrences not claimed yet, per schedule: those due by `until`, and the first
    due after it (every first one when `until` is None)."""
    versions = scoped_versions()
    scoped = {}
    for tenant, version in versions:
        if tenant:
            scoped.setdefault(version.definition.key, set()).add(tenant)
    for tenant, version in versions:
        process = version.definition.key
        if key is not None and process != key:
            continue
        others = frozenset(scoped.get(process, ())) if not tenant else frozenset()
        for start, definition in _timer_starts(specs_for(version)[0]):
            extensions = getattr(start, "extensions", None) or {}
            last = (ScheduledStart.objects.filter(definition_key=process, tenant=tenant, element=start.bpmn_id)
                    .order_by("-occurrence_at").values_list("occurrence_at", flat=True).first())
            after = last or version.deployed_at - timedelta(microseconds=1)
            # A moment moved to a working day may land past `until`, or back on one already claimed: both wait.
            for moment in _moments(definition, version.deployed_at, after, _NEVER):
                at = _on_workday(moment) if extensions.get("onWorkday") else moment
                if at > after:
                    yield Occurrence(version, start.bpmn_id, at, extensions.get("startWith") or "", tenant, others)
                    if until is None or at > until:
                        break


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def start_data(occurrence):
    """[(business key, data)] the occurrence starts, from the start event's startWith: those of its schedule's
    tenant (of the shared schedule: those of no tenant with a schedule of its own)."""
    if not occurrence.start_with:
        items = [{}]
    else:
        value = EngineScriptEngine().environment.evaluate(
            occurrence.start_with, {"occurrence": occurrence.at.astimezone(clock.CHINA)})
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            raise ValueError(f"startWith gave {type(value).__name__}, not a dict or a list of dicts")
    tenant_for = get_directory().tenant_for
    started = []
    for item in (dict(i) for i in items):
        business_key = str(item.pop("business_key", ""))
        tenant = tenant_for(item)
        if tenant == occurrence.tenant or (not occurrence.tenant and tenant not in occurrence.others):
            started.append((business_key, item))
    return started


def hold_cycle_starts(workflow):
    """Keep a new instance's cycle start events from taking a branch of their own for each occurrence past, as
    SpiffWorkflow would give them (one instance would run its flow once per year since the first moment);
    fire_timer_starts gives each the one branch it runs."""
    cycles = {spec for spec, definition in _timer_starts(workflow.spec)
              if isinstance(definition, CycleTimerEventDefinition)}
    for task in workflow.get_tasks() if cycles else ():
        if task.task_spec in cycles:
            spiff_private.hold_cycle(task)


def fire_timer_starts(workflow):
    """Make the waiting timer start events of a workflow being started ready: it starts now, whoever starts it
    (the schedule, or a person starting it by hand). Returns how many."""
    timer_starts = dict(_timer_starts(workflow.spec))
    if not timer_starts:
        return 0  # most processes: no walk of the new task tree at every start
    fired = 0
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = timer_starts.get(task.task_spec)
        if definition is not None:
            if isinstance(definition, CycleTimerEventDefinition):
                spiff_private.add_branches(task)  # held (hold_cycle_starts): it has none of its own
            spiff_private.fire(task)
            fired += 1
    return fired
