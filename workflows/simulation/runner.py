"""Playing processes on the simulated clock: offices act, timers fire, messages arrive.

The loop: start what is due to start, fire due timers and deliver waiting
messages (the engine's own dispatcher, run in-process), plan each new open task
(who acts and when), do the actions that are due, and when nothing is left to do
now move the clock to the next event: the next due timer, planned action or
planned start. It ends when nothing is left to happen, or at `until`.
"""
import logging
import time as wallclock
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Min

from config.celery import app as celery_app
from engine import api
from engine.api import clock
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import HumanTask, ProcessInstance, Timer
from engine.models import InstanceState
from engine.models import TaskState
from engine.api import dispatch_due_timers

from workflows.models import Substitution
from workflows.substitutes import set_substitute

from .actors import Actors
from .form_filler import FormFiller, FormFillError

log = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
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
    instance_ids: list = field(default_factory=list)
    actions: int = 0
    errors: list = field(default_factory=list)  # (when, task or process, message)
    wall_seconds: float = 0.0


@dataclass(order=True)
class _Planned:
    at: datetime
    task_id: object = field(compare=False)


class Simulation:
    def __init__(self, starts, actors: Actors, until: datetime, progress=None):
        """`starts`: Start and Happening items; `until`: the simulated moment to stop at in any case."""
        self.starts = sorted(starts, key=lambda s: s.at)
        self.actors = actors
        self.until = until
        self.progress = progress or (lambda text: None)
        self.planned = {}
        self.abandoned = set()  # tasks whose action failed: reported once, not tried again
        self.outcome = None
        self._preexisting = set()

    def run(self) -> Outcome:
        began = self.starts[0].at if self.starts else clock.now()
        self.outcome = Outcome(began_at=began)
        self._preexisting = set(ProcessInstance.objects.filter(started_at__gte=began).values_list("pk", flat=True))
        wall = wallclock.monotonic()
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # the dispatcher's work runs here, on the simulated clock
        clock.set_time(began)
        try:
            self._loop()
        finally:
            celery_app.conf.task_always_eager = eager
            self.outcome.ended_at = clock.now()
            self.outcome.instance_ids = list(self.instances().values_list("pk", flat=True))
            self.outcome.wall_seconds = wallclock.monotonic() - wall
        return self.outcome

    def instances(self):
        """The instances this run started, directly or through their processes."""
        return ProcessInstance.objects.filter(started_at__gte=self.outcome.began_at).exclude(
            pk__in=self._preexisting)

    def _loop(self):
        last_day = None
        while True:
            busy = self._start_due()
            dispatch_due_timers()
            self._plan_open_tasks()
            busy = self._act_due() or busy
            if busy:
                continue
            following = self._next_event()
            if following is None or following > self.until:
                return
            clock.set_time(max(following, clock.now() + ONE_SECOND))
            day = clock.today_in_china()
            if day.month != last_day:
                last_day = day.month
                self.progress(f"{day:%Y-%m}: {self.outcome.actions} tasks done, "
                              f"{self.instances().filter(state__in=InstanceState.ACTIVE).count()} instances active")

    def _start_due(self):
        now = clock.now()
        due = [s for s in self.starts if s.at <= now and (s.ready is None or s.ready())]
        self.starts = [s for s in self.starts if s not in due]
        for item in due:
            try:
                item.happen()
            except (InvalidInput, NotFound, Conflict) as err:
                name = getattr(item, "business_key", None) or item.name
                self._error(name, f"did not happen: {getattr(err, 'errors', None) or err}")
        return bool(due)

    def _plan_open_tasks(self):
        rows = HumanTask.objects.filter(state__in=TaskState.ACTIVE, instance__in=self.instances(),
                                        instance__state__in=InstanceState.ACTIVE).exclude(pk__in=[*self.planned, *self.abandoned])
        now = clock.now()
        for row in rows:
            self.planned[row.pk] = _Planned(self.actors.when(row, now), row.pk)

    def _act_due(self):
        now = clock.now()
        due = sorted(p for p in self.planned.values() if p.at <= now)
        for planned in due:
            self._act(planned)
        return bool(due)

    def _act(self, planned):
        row = HumanTask.objects.select_related("instance__version").filter(pk=planned.task_id).first()
        if row is None or row.state not in TaskState.ACTIVE:
            self.planned.pop(planned.task_id, None)
            return
        if row.instance.state not in InstanceState.ACTIVE:
            self.planned.pop(planned.task_id, None)  # planned again once the instance runs again
            return
        user = self.actors.user_for(row.office)
        if user is None:
            self.planned.pop(planned.task_id)
            self.abandoned.add(row.pk)
            self._error(row, f"no account works in office '{row.office or '(none)'}'")
            return
        form = api.task_form(row)
        now = clock.now()
        if form.not_before is not None and now < form.not_before:
            planned.at = self.actors.when(row, now, form.not_before)
            return
        self.planned.pop(planned.task_id)
        try:
            data = self._form_data(row, form, user)
            if row.state == TaskState.OPEN:
                api.claim(row.pk, actor=user)
            self._do(row, user, data, self.actors.how(row))
            self.outcome.actions += 1
        except Conflict:
            return  # the process moved on (a boundary event took the task away)
        except (InvalidInput, PermissionDenied, FormFillError) as err:
            self.abandoned.add(row.pk)
            self._error(row, str(getattr(err, "errors", None) or err))

    def _do(self, row, user, data, how):
        """Complete the task as `how` (Actors.how) says: by the person, through a colleague they delegate it
        to and who hands it back, or by a substitute while the person is on leave."""
        if how == "delegate":
            colleague = self.actors.colleague_for(row.office)
            api.delegate(row.pk, colleague.get_username(), actor=user, note=DELEGATION_NOTE)
            api.resolve_task(row.pk, data, actor=colleague)
        elif how == "substitute":
            substitute = self.actors.substitute_for(row.office)
            today = clock.today_in_china()
            if not Substitution.objects.filter(absent=user, substitute=substitute, starts_on__lte=today,
                                               ends_on__gte=today).exists():
                set_substitute(user.get_username(), substitute.get_username(), today,
                               today + timedelta(days=LEAVE_DAYS), reason=LEAVE_REASON, actor=user)
            user = substitute
        api.complete_task(row.pk, data, actor=user)

    def _form_data(self, row, form, user):
        if form.schema is None:
            return {}
        schema, context = form.schema, form.data
        today = clock.today_in_china()
        filler = FormFiller(self.actors.rng, today, actor=user.get_username(), instance=row.instance,
                            task_id=row.pk)
        return filler.fill(schema, context, self.actors.choices(row, schema, context, today))

    def _next_event(self):
        moments = [p.at for p in self.planned.values()]
        now = clock.now()
        moments += [s.at for s in self.starts if s.at > now]  # those already due wait for ready()
        timer = Timer.objects.filter(instance__in=self.instances(), instance__state__in=InstanceState.ACTIVE,
                                     state=Timer.WAITING).aggregate(first=Min("due_at"))["first"]
        if timer is not None:
            moments.append(timer + ONE_SECOND)  # the dispatcher fires timers strictly past due
        return min(moments, default=None)

    def _error(self, where, message):
        label = where if isinstance(where, str) else f"{where.instance.version.definition.key}/{where.bpmn_id}"
        log.warning("simulation: %s: %s", label, message)
        self.outcome.errors.append((clock.now(), label, message))

