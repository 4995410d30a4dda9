"""A simulation's steps handed to Celery workers through Redis, on one shared simulated clock.

The simulation (the coordinator) plans who acts when, as in one process. When the clock reaches a moment it
publishes the moment (engine.clock.publish), sends each due start and action as a job, and waits until
every job it sent, and every engine job those sent in turn (advancing instances, delivering messages), has
finished (config.celery.in_flight). Only then does it fire the due timers, whose jobs go to the workers too,
and move the clock. Every job runs at the published moment, so all workers read one clock.

Workers on other machines take part by running `celery -A config worker` against the same PostgreSQL and
Redis (README, "Simulating a national year").
"""
import json
import random
import time

from celery import shared_task
from django.db import IntegrityError

from config.celery import app as celery_app
from config.celery import IN_FLIGHT, in_flight, redis
from engine.api import clock

from .actors import Actors, Behaviour
from .runner import FAILED, Start, act, start_or_happen

ACT = "workflows.simulation.act"
START = "workflows.simulation.start"
RESULTS = "simulation:results"
STALLED_SECONDS = 120  # no job finished for this long: a worker died or none runs
_users = {}  # each worker's accounts by office, as Actors caches them


@shared_task(name=ACT, acks_late=True, autoretry_for=(IntegrityError,), default_retry_delay=0, max_retries=5)
def act_job(task_id, seed, behaviour):
    """Take one planned action (runner.act) and leave its result for the simulation."""
    actors = Actors(random.Random(seed), Behaviour(**behaviour), _users=_users)
    try:
        result, detail = act(task_id, actors)
    except IntegrityError:
        raise  # two workers made the same row (an office's colleague account): done again, it is found
    except Exception as err:  # noqa: BLE001 - reported as the action's failure; the worker logs it too
        result, detail = FAILED, (str(task_id), f"{type(err).__name__}: {err}")
        _report(task_id, result, detail)
        raise
    _report(task_id, result, detail)


@shared_task(name=START, acks_late=True)
def start_job(key, business_key, data, actor):
    problem = start_or_happen(Start(clock.now(), key, business_key, data, actor))
    if problem:
        _report(None, FAILED, problem)


def _report(task_id, result, detail):
    redis().rpush(RESULTS, json.dumps([str(task_id) if task_id else None, result, detail]))


class Workers:
    """Steps taken by Celery workers (runner.InProcess's counterpart): the starts and actions due at one moment
    run in parallel, and the actions of a working day are taken at one moment, its close (runner._next_event)."""

    batched = True

    def begin(self, when):
        if celery_app.conf.task_always_eager:
            raise RuntimeError("workers need REDIS_URL: without it every job runs in this process")
        store = redis()
        store.delete(RESULTS)
        store.set(IN_FLIGHT, 0)
        clock.publish(when)

    def end(self):
        clock.unpublish()

    def set_time(self, when):
        clock.publish(when)

    def drain(self):
        """Wait until every job sent at this moment, and every job they sent, has finished."""
        last, since = in_flight(), time.monotonic()
        while last > 0:
            time.sleep(0.002)
            now_in_flight = in_flight()
            if now_in_flight != last:
                last, since = now_in_flight, time.monotonic()
            elif time.monotonic() - since > STALLED_SECONDS:
                raise RuntimeError(f"{last} simulation jobs unfinished for {STALLED_SECONDS} s: is a worker running "
                                   f"on this Redis (celery -A config worker)?")

    def start(self, items):
        if not items:
            return []
        problems = []
        for item in items:
            if isinstance(item, Start):
                start_job.delay(item.key, item.business_key, item.data, item.actor)
            else:  # a happening's code belongs to this run: it happens here
                problems.extend(filter(None, [start_or_happen(item)]))
        self.drain()
        return problems + [tuple(detail) for _task, _result, detail in self._results()]

    def act(self, planned, actors):
        behaviour = {name: getattr(actors.behaviour, name) for name in Behaviour.__dataclass_fields__}
        for item in planned:
            act_job.delay(str(item.task_id), item.seed, behaviour)
        self.drain()
        results = {task: (result, tuple(detail) if result == FAILED else detail)
                   for task, result, detail in self._results()}
        lost = (FAILED, ("?", "no worker reported the action (see the workers' logs)"))
        return [results.get(str(item.task_id), lost) for item in planned]

    def _results(self):
        store = redis()
        rows, _deleted = store.pipeline().lrange(RESULTS, 0, -1).delete(RESULTS).execute()
        return [json.loads(row) for row in rows]

