"""Playing processes on the simulated clock: offices act, timers fire, messages arrive.

The loop: start what is due to start, fire due timers and deliver waiting
messages (the engine's own dispatcher, run in-process), plan each new open task
(who acts and when), do the actions that are due, and when nothing is left to do
now move the clock to the next event: the next due timer, planned action or
planned start. It ends when nothing is left to happen, or at `until`.

The steps are taken in this process (InProcess), or by Celery workers
(jobs.Workers), which take a working day's actions together at its close. Each
action makes its random choices from a seed of its own, drawn when it is
planned, so it makes the same choices in whichever process takes it.
"""
import heapq
import logging
import random
import time as wallclock
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL

from config.celery import app as celery_app
from engine import api
from engine.api import clock
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import AuditEvent, HumanTask, ProcessInstance, Timer
from engine.models import InstanceState
from engine.models import TaskState
from engine.api import dispatch_due_timers

from workflows.models import Substitution
from workflows.substitutes import set_substitute

from .actors import Actors
from .form_filler import FormFiller, FormFillError

log = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
DONE, LATER, DROPPED, FAILED = "done", "later", "dropped", "failed"
DAY_CLOSES = time(18, 0)  # China time: batched actions of a working day are taken then
BATCH_AT_LEAST = timedelta(hours=1)  # after the day's close, actions an hour apart are taken together
# The audit actions of the engine steps a run takes: one row per step.
STARTED = "instance.started"
STEP_ACTIONS = (STARTED, "task.claim", "task.delegate", "task.resolve", "task.complete", "timer.fired",
                "message.delivered")
# The queries of every round, in plain SQL: the ORM would spend longer composing them than the database running them.
_TASKS, _INSTANCES, _AUDIT, _TIMERS = (model._meta.db_table
                                       for model in (HumanTask, ProcessInstance, AuditEvent, Timer))
_RUNNING = f"i.state IN ({', '.join(repr(state) for state in InstanceState.ACTIVE)})"
# An instance the run started; parameters: the run's first moment, the last audit row before it. An instance's start
# is among its first audit rows, so the test stops early for the run's own instances.
_RUN = (f"i.started_at >= %s AND EXISTS (SELECT 1 FROM {_AUDIT} s WHERE s.instance_id = i.id "
        f"AND s.action = '{STARTED}' AND s.id > %s)")
# Task ids are random: tasks made at one moment are taken in an order of their names, and those a step made alike
# (two reports' reminders) in the order it made them, so that each gets the same random draws in every run of a seed.
_OPEN_TASKS = f"""SELECT t.* FROM {_TASKS} t JOIN {_INSTANCES} i ON i.id = t.instance_id
    WHERE t.state IN ({', '.join(repr(state) for state in TaskState.ACTIVE)}) AND {_RUNNING} AND {_RUN} {{changed}}
    ORDER BY t.created_at, i.business_key, t.bpmn_id, t.office, (SELECT min(a.id) FROM {_AUDIT} a
        WHERE a.instance_id = t.instance_id AND a.task_id = t.id AND a.action = 'task.created'), t.id"""
# Bounded above too: without statistics on the audit (autovacuum off, a copy not analyzed yet) PostgreSQL takes
# an open range for a third of the table and reads all of it, a closed one it reads by index.
_AUDITED_SINCE = f"SELECT instance_id FROM {_AUDIT} WHERE id > %s AND id <= %s"
_AUDIT_ROWS_SINCE = f"SELECT id, instance_id FROM {_AUDIT} WHERE id > %s AND id <= %s"
AUDIT_ROWS_A_ROUND = 10 ** 9  # more than a round ever writes
MAX_LISTED = 5000  # instances whose tasks one round reads by their ids
_FIRST_TIMER = f"""SELECT t.* FROM {_TIMERS} t JOIN {_INSTANCES} i ON i.id = t.instance_id
    WHERE t.state = '{Timer.WAITING}' AND {_RUNNING} AND {_RUN} ORDER BY t.due_at LIMIT 1"""
DELEGATION_NOTE = "请代为办理，办完交回我确认。"
LEAVE_REASON = "休假"
LEAVE_DAYS = 7


@dataclass
class Start:
    """A process instance to start at a moment of the simulation (once `ready()`, when given)."""

    at: datetime
    key: str
    business_key: str
    data: dict
    actor: str = "simulation"
    ready: object = None

    def happen(self):
        api.start(self.key, self.business_key, self.data, actor=self.actor)


@dataclass
class Happening:
    """Something outside the diagrams that happens once, from `at` on, as soon as `ready()`: a bidder's
    challenge, an emergency at a station."""

    at: datetime
    name: str
    happen: object
    ready: object = None


@dataclass
class Outcome:
    began_at: datetime
    ended_at: datetime = None
    # The run's instances, as a query: a national year starts more of them than a statement may list.
    instances: object = None
    actions: int = 0
    errors: list = field(default_factory=list)  # (when, task or process, message)
    wall_seconds: float = 0.0
    engine_steps: int = 0


@dataclass
class _Planned:
    at: datetime
    task_id: object
    seed: int = 0  # of the action's random choices, so any process makes them alike


class Simulation:
    def __init__(self, starts, actors: Actors, until: datetime, progress=None, hands=None):
        """`starts`: Start and Happening items; `until`: the simulated moment to stop at in any case; `hands`:
        who takes the steps (InProcess, the default, or jobs.Workers)."""
        self.starts = sorted(starts, key=lambda s: s.at)
        self.actors = actors
        self.until = until
        self.progress = progress or (lambda text: None)
        self.hands = hands or InProcess()
        self.planned = {}
        # The planned actions by moment, and in the order they were planned among those at one moment.
        self._queue = []
        self._planned_count = 0
        self.abandoned = set()  # tasks whose action failed: reported once, not tried again
        self._dropped = set()  # tasks whose action found nothing to do: planned again while they stay open
        self._audited = None  # the last audit row when the open tasks were last planned
        self.outcome = None
        self._run_params = []

    def run(self) -> Outcome:
        began = self.starts[0].at if self.starts else clock.now()
        self.outcome = Outcome(began_at=began)
        # The instances there before the run are told from the run's by their start's audit row, not listed: a year
        # simulated again after --reset-year has a national year's instances from the run before.
        mark = AuditEvent.objects.aggregate(mark=Max("id"))["mark"] or 0
        # _RUN's, in the queries of every round and in instances()
        self._run_params = [connection.ops.adapt_datetimefield_value(began), mark]
        wall = wallclock.monotonic()
        self.hands.begin(began)
        try:
            self._loop()
        finally:
            self.outcome.ended_at = clock.now()
            self.hands.end()
            self.outcome.instances = self.instances()
            self.outcome.wall_seconds = wallclock.monotonic() - wall
            self.outcome.engine_steps = AuditEvent.objects.filter(
                instance__in=self.outcome.instances, action__in=STEP_ACTIONS).count()
        return self.outcome

    def instances(self):
        """The instances this run started, directly or through their processes."""
        return ProcessInstance.objects.filter(pk__in=RawSQL(f"SELECT i.id FROM {_INSTANCES} i WHERE {_RUN}",
                                                            self._run_params))

    def _loop(self):
        last_day = None
        while True:
            busy = self._start_due()
            dispatch_due_timers()
            self.hands.drain()
            self._plan_open_tasks()
            busy = self._act_due() or busy
            if busy:
                continue
            following = self._next_event()
            if following is None or following > self.until:
                return
            self.hands.set_time(max(following, clock.now() + ONE_SECOND))
            day = clock.today_in_china()
            if day.month != last_day:
                last_day = day.month
                self.progress(f"{day:%Y-%m}: {self.outcome.actions} tasks done, "
                              f"{self.instances().filter(state__in=InstanceState.ACTIVE).count()} instances active")

    def _start_due(self):
        now = clock.now()
        arrived = bisect_right(self.starts, now, key=lambda s: s.at)  # the starts are in the order of their moments
        due = [s for s in self.starts[:arrived] if s.ready is None or s.ready()]
        if due:
            self.starts = [s for s in self.starts[:arrived] if s not in due] + self.starts[arrived:]
        for name, message in self.hands.start(due):
            self._error(name, message)
        return bool(due)

    def _plan_open_tasks(self):
        now, since = clock.now(), self._audited
        changed, params = "", []
        # Every step the run took has committed by now (taken one after another, or drained from the workers),
        # so what happened since the last round has audit rows of higher ids.
        with connection.cursor() as cursor:
            if since is None:
                cursor.execute(f"SELECT max(id) FROM {_AUDIT}")
                self._audited = cursor.fetchone()[0] or 0
            else:
                cursor.execute(_AUDIT_ROWS_SINCE, [since, since + AUDIT_ROWS_A_ROUND])
                audited = cursor.fetchall()
                self._audited = max((row[0] for row in audited), default=since)
        if since is not None:
            # A task becomes one to plan by being made, by its instance running again (both audited on the
            # instance) or by its action having found nothing to do: only such tasks are read, not every
            # open one of the nation. The instances are asked first, so that their tasks are read by index.
            touched = [pk for pk in dict.fromkeys(instance_id for _id, instance_id in audited) if pk is not None]
            dropped = list(map(_db_id, self._dropped))
            self._dropped.clear()
            if not touched and not dropped:
                return
            if len(touched) > MAX_LISTED:  # a nation's working day taken by workers: too many to list
                changed, params = f"t.instance_id IN ({_AUDITED_SINCE})", [since, since + AUDIT_ROWS_A_ROUND]
            elif touched:
                changed, params = f"t.instance_id IN ({', '.join(['%s'] * len(touched))})", touched
            if dropped:
                changed = " OR ".join(filter(None, [changed, f"t.id IN ({', '.join(['%s'] * len(dropped))})"]))
                params = [*params, *dropped]
            changed = f"AND ({changed})"
        for row in HumanTask.objects.raw(_OPEN_TASKS.format(changed=changed),
                                         [*self._run_params, *params]):
            if row.pk not in self.planned and row.pk not in self.abandoned:
                self._plan(_Planned(self.actors.when(row, now), row.pk, self.actors.rng.getrandbits(32)))

    def _plan(self, planned):
        self.planned[planned.task_id] = planned
        self._planned_count += 1
        heapq.heappush(self._queue, (planned.at, self._planned_count, planned))

    def _act_due(self):
        now = clock.now()
        due = []
        while self._queue and self._queue[0][0] <= now:
            due.append(heapq.heappop(self._queue)[2])
        for planned in due:
            del self.planned[planned.task_id]
        for planned, (result, detail) in zip(due, self.hands.act(due, self.actors)):
            if result == DONE:
                self.outcome.actions += 1
            elif result == LATER:  # not before its minimum period: taken up again once it may be
                row = HumanTask.objects.get(pk=planned.task_id)
                planned.at = self.actors.when(row, clock.now(), datetime.fromisoformat(detail))
                self._plan(planned)
            elif result == DROPPED:
                self._dropped.add(planned.task_id)
            elif result == FAILED:
                self.abandoned.add(planned.task_id)
                self._error(*detail)
        return bool(due)

    def _next_event(self):
        actions = [self._queue[0][0]] if self._queue else []
        now = clock.now()
        waiting = bisect_right(self.starts, now, key=lambda s: s.at)  # those already due wait for ready()
        others = [self.starts[waiting].at] if waiting < len(self.starts) else []
        timer = next(iter(Timer.objects.raw(_FIRST_TIMER, self._run_params)), None)
        if timer is not None:
            others.append(timer.due_at + ONE_SECOND)  # the dispatcher fires timers strictly past due
        first = min(actions + others, default=None)
        if first is None or not self.hands.batched:
            return first
        # Actions due on the same working day are taken together at its close, unless a start or a timer
        # comes first: many at one moment, for workers to take in parallel. Deadlines end at 24:00, so a task
        # done by the close of the day its office took it up is on time as it was.
        close = datetime.combine(first.astimezone(clock.CHINA).date(), DAY_CLOSES, clock.CHINA)
        return min([max(close, first + BATCH_AT_LEAST), *(moment for moment in others if moment >= first)])

    def _error(self, label, message):
        log.warning("simulation: %s: %s", label, message)
        self.outcome.errors.append((clock.now(), label, message))


def _db_id(pk):
    return ProcessInstance._meta.pk.get_db_prep_value(pk, connection)


class InProcess:
    """Steps taken in this process, one after another, the engine's own jobs included (the embedded default)."""

    batched = False  # each action at its own moment

    def begin(self, when):
        self._eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # the dispatcher's work runs here, on the simulated clock
        clock.set_time(when)

    def end(self):
        celery_app.conf.task_always_eager = self._eager

    def set_time(self, when):
        clock.set_time(when)

    def drain(self):
        """Nothing is left running elsewhere."""

    def start(self, items):
        """Make the items happen; [(name, message)] of those that could not."""
        return [problem for problem in map(start_or_happen, items) if problem]

    def act(self, planned, actors):
        """Each planned action taken by `actors` with the action's own random choices; (result, detail) each."""
        return [act(p.task_id, replace(actors, rng=random.Random(p.seed))) for p in planned]


def start_or_happen(item):
    """Make a Start or Happening happen; (name, message) if it could not, else None."""
    try:
        item.happen()
    except (InvalidInput, NotFound, Conflict) as err:
        name = getattr(item, "business_key", None) or item.name
        return name, f"did not happen: {getattr(err, 'errors', None) or err}"
    return None


def act(task_id, actors):
    """The office of open task `task_id` acts on it, as `actors` decide, at the clock's moment.

    Returns (DONE, None); (LATER, the ISO moment before which it may not be completed); (DROPPED, None) when
    there is nothing to do now (the task closed, its instance paused or moved on); or (FAILED, (where,
    message)) when the action failed and should not be tried again.
    """
    # Not the version's specs: the engine has them parsed already, and they are the largest value of all.
    row = HumanTask.objects.select_related("instance__version__definition").defer(
        "instance__version__spec_json").filter(pk=task_id).first()
    if row is None or row.state not in TaskState.ACTIVE or row.instance.state not in InstanceState.ACTIVE:
        return DROPPED, None  # a paused instance's task is planned again once it runs again
    where = f"{row.instance.version.definition.key}/{row.bpmn_id}"
    user = actors.user_for(row.office)
    if user is None:
        return FAILED, (where, f"no account works in office '{row.office or '(none)'}'")
    form = api.task_form(row)
    if form.not_before is not None and clock.now() < form.not_before:
        return LATER, form.not_before.isoformat()
    try:
        data = _form_data(row, form, user, actors)
        if row.state == TaskState.OPEN:
            api.claim(row.pk, actor=user)
        _do(row, user, data, actors.how(row), actors)
    except Conflict:
        return DROPPED, None  # the process moved on (a boundary event took the task away)
    except (InvalidInput, PermissionDenied, FormFillError) as err:
        return FAILED, (where, str(getattr(err, "errors", None) or err))
    return DONE, None


def _do(row, user, data, how, actors):
    """Complete the task as `how` (Actors.how) says: by the person, through a colleague they delegate it
    to and who hands it back, or by a substitute while the person is on leave."""
    if how == "delegate":
        colleague = actors.colleague_for(row.office)
        api.delegate(row.pk, colleague.get_username(), actor=user, note=DELEGATION_NOTE)
        api.resolve_task(row.pk, data, actor=colleague)
    elif how == "substitute":
        substitute = actors.substitute_for(row.office)
        today = clock.today_in_china()
        if not Substitution.objects.filter(absent=user, substitute=substitute, starts_on__lte=today,
                                           ends_on__gte=today).exists():
            set_substitute(user.get_username(), substitute.get_username(), today,
                           today + timedelta(days=LEAVE_DAYS), reason=LEAVE_REASON, actor=user)
        user = substitute
    api.complete_task(row.pk, data, actor=user)


def _form_data(row, form, user, actors):
    if form.schema is None:
        return {}
    schema, context = form.schema, form.data
    today = clock.today_in_china()
    filler = FormFiller(actors.rng, today, actor=user.get_username(), instance=row.instance, task_id=row.pk)
    return filler.fill(schema, context, actors.choices(row, schema, context, today))

