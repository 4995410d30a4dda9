"""What a simulated year came to: deadlines met and missed per statutory step, instances per process,
instances stuck or failed, and the actions the simulation could not take."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q

from engine.api import clock
from engine.models import AuditEvent, HumanTask, MessageSubscription, Timer
from engine.models import InstanceState
from engine.models import TaskState


@dataclass
class StepDeadlines:
    process: str
    bpmn_id: str
    name: str
    met: int = 0
    missed: int = 0
    open_overdue: int = 0
    open_in_time: int = 0


@dataclass
class OfficeWork:
    """Tasks done other than by their office's person, and how their deadlines went."""

    delegated_met: int = 0
    delegated_missed: int = 0
    substituted_met: int = 0
    substituted_missed: int = 0


@dataclass
class Report:
    steps: list = field(default_factory=list)        # StepDeadlines, by process then step
    processes: dict = field(default_factory=dict)    # process key -> Counter of instance states
    stuck: list = field(default_factory=list)        # (process key, business key, elements)
    failed: list = field(default_factory=list)       # (process key, business key, error)
    errors: list = field(default_factory=list)       # from the run
    office_work: OfficeWork = field(default_factory=OfficeWork)
    actions: int = 0
    engine_steps: int = 0
    began_at: object = None
    ended_at: object = None
    wall_seconds: float = 0.0

    @property
    def ok(self):
        return not (self.stuck or self.failed or self.errors)

    @property
    def tasks_per_second(self):
        return self.actions / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def steps_per_second(self):
        return self.engine_steps / self.wall_seconds if self.wall_seconds else 0.0

    def step(self, bpmn_id):
        return next(s for s in self.steps if s.bpmn_id == bpmn_id)


def build_report(outcome) -> Report:
    instances = outcome.instances.select_related("version__definition")
    report = Report(errors=outcome.errors, actions=outcome.actions, engine_steps=outcome.engine_steps,
                    began_at=outcome.began_at, ended_at=outcome.ended_at, wall_seconds=outcome.wall_seconds)
    processes = defaultdict(Counter)
    for key, state, count in outcome.instances.values_list("version__definition__key", "state").annotate(
            n=Count("pk")).order_by():
        processes[key][state] += count
    report.processes = dict(sorted(processes.items()))
    report.steps = _deadlines(outcome.instances)
    report.office_work = _office_work(outcome.instances)
    for instance in _stuck(instances):
        report.stuck.append((instance.version.definition.key, instance.business_key, instance.current_elements))
    for instance in instances.filter(state=InstanceState.FAILED):
        report.failed.append((instance.version.definition.key, instance.business_key,
                              f"{instance.error_element}: {instance.error}"))
    return report


def _deadlines(instances):
    """Per statutory step (a task with a due date): met, missed, open overdue and open in time, counted by the
    database: a national year has about two million such tasks."""
    now = clock.now()
    completed, still_open = Q(state=TaskState.COMPLETED), ~Q(state=TaskState.COMPLETED)
    rows = HumanTask.objects.filter(instance__in=instances, due_at__isnull=False).exclude(
        state=TaskState.CANCELLED).values("instance__version__definition__key", "bpmn_id").annotate(
        step_name=Min("name"),
        met=Count("pk", filter=completed & Q(completed_at__lte=F("due_at"))),
        missed=Count("pk", filter=completed & Q(completed_at__gt=F("due_at"))),
        open_overdue=Count("pk", filter=still_open & Q(due_at__lte=now)),
        open_in_time=Count("pk", filter=still_open & Q(due_at__gt=now))).order_by(
        "instance__version__definition__key", "bpmn_id")
    return [StepDeadlines(row["instance__version__definition__key"], row["bpmn_id"], row["step_name"], row["met"],
                          row["missed"], row["open_overdue"], row["open_in_time"]) for row in rows]


def _office_work(instances):
    """Delegated tasks (handed back and confirmed) and tasks a substitute completed, met or missed; counted by
    the database, as a national year has about 150,000 of them, and a task delegated counts as delegated."""
    audited = AuditEvent.objects.filter(instance__in=instances)
    delegated = Q(pk__in=audited.filter(action="task.delegate").values("task_id"))
    substituted = ~delegated & Q(pk__in=audited.filter(action="task.complete", data__has_key="on_behalf_of")
                                 .values("task_id"))
    met, missed = Q(completed_at__lte=F("due_at")), Q(completed_at__gt=F("due_at"))
    return OfficeWork(**HumanTask.objects.filter(
        instance__in=instances, state=TaskState.COMPLETED, due_at__isnull=False).aggregate(
        delegated_met=Count("pk", filter=delegated & met), delegated_missed=Count("pk", filter=delegated & missed),
        substituted_met=Count("pk", filter=substituted & met),
        substituted_missed=Count("pk", filter=substituted & missed)))


def _stuck(instances):
    """Active instances with nothing to wait for: no open task, no timer, no awaited message."""
    return instances.filter(state__in=InstanceState.ACTIVE).exclude(
        Exists(HumanTask.objects.filter(instance=OuterRef("pk"), state__in=TaskState.ACTIVE))).exclude(
        Exists(Timer.objects.filter(instance=OuterRef("pk")))).exclude(
        Exists(MessageSubscription.objects.filter(instance=OuterRef("pk"))))


def render(report: Report) -> str:
    china = clock.CHINA
    lines = [
        f"simulated {report.began_at.astimezone(china):%Y-%m-%d} to {report.ended_at.astimezone(china):%Y-%m-%d}: "
        f"{report.actions} tasks completed in {report.wall_seconds:.1f} s"
        + (f" ({report.wall_seconds * 1000 / report.actions:.1f} ms per task)" if report.actions else ""),
        f"throughput: {report.tasks_per_second:.1f} tasks/s, {report.steps_per_second:.1f} steps/s "
        f"({report.engine_steps} engine steps: starts, claims, delegations, completions, timers, messages)",
        "",
        "deadlines per statutory step (completed on time / late; still open: overdue, in time)",
    ]
    width = max((len(s.name) for s in report.steps), default=0)
    for step in report.steps:
        share = step.met / (step.met + step.missed) if step.met + step.missed else None
        lines.append(
            f"  {step.process:<24} {step.bpmn_id:<32} {step.name:<{width}}  met {step.met:>4}  missed "
            f"{step.missed:>4}  open {step.open_overdue:>3} overdue {step.open_in_time:>3} in time"
            + (f"  ({share:.0%} on time)" if share is not None else ""))
    work = report.office_work
    lines += ["", "tasks done other than by the office's person (deadline met / missed)",
              f"  delegated to a colleague and confirmed  met {work.delegated_met:>4}  missed {work.delegated_missed:>4}",
              f"  done by a substitute during leave       met {work.substituted_met:>4}  missed "
              f"{work.substituted_missed:>4}"]
    lines += ["", "instances per process"]
    for process, states in report.processes.items():
        summary = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        lines.append(f"  {process:<24} {sum(states.values()):>4}: {summary}")
    if report.stuck:
        lines += ["", "stuck (active, with no open task, no timer and no awaited message)"]
        lines += [f"  {process} {key} at {', '.join(elements) or '?'}" for process, key, elements in report.stuck]
    if report.failed:
        lines += ["", "failed"]
        lines += [f"  {process} {key}: {error}" for process, key, error in report.failed]
    if report.errors:
        lines += ["", "actions the simulation could not take"]
        lines += [f"  {when.astimezone(china):%Y-%m-%d %H:%M} {where}: {message}"
                  for when, where, message in report.errors]
    lines += ["", "result: " + ("ok" if report.ok else "PROBLEMS (see above)")]
    return "\n".join(lines)
