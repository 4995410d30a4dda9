"""(e) Due timers drained by dispatchers and real Celery workers, on PostgreSQL over Redis.

    python bench/timers.py                     # 2,000 timers, drained with 1 and then 2 dispatchers
    python bench/timers.py --timers 100000     # the issue's figure
    python bench/timers.py --dispatchers 2 --workers 8

Each round starts N instances of a three-element process (start, a one-hour timer, end) on a fixed
simulated clock and prints the starts per second (one process, as a caller of engine.api would). The
clock then moves past the due time and the timers are drained by D dispatcher processes, each ticking
the dispatcher job's engine.api.dispatch_due_timers back to back while it finds work (every 0.1 s when not), and W Celery
worker processes over Redis running the advances. Every process reads the same simulated moment (given
to it on the command line). It prints the drained timers per second, the time, and how many timers fired
more than once (audit rows `timer.fired` per timer task): that must be 0. Target: drained at least as
fast as started.

Last, the cost of a dispatcher tick that finds nothing due, averaged over many ticks, on PostgreSQL and
on SQLite, with the diagrams in bpmn/ deployed (a timer start event and a message start event among them),
beside a bare SELECT 1 on the same connection for scale: on PostgreSQL right after the drain (the first tick
after a drain vacuums the timer table: its time is printed apart), and after a VACUUM of the whole database.

BENCH_DATABASE_URL's server is used (a database named after it, with `_timers` added, is recreated) with Redis
at BENCH_REDIS_URL (default redis://127.0.0.1:6379/0; the run's queue has a name of its own).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER, NAME = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shegong_bench").rsplit("/", 1)
NAME += "_timers"  # two runs on one server, each under a BENCH_DATABASE_URL of its own, never share a database
DATABASE = f"{SERVER}/{NAME}"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
START = datetime.fromisoformat("2027-03-01T09:00:00+08:00")  # a Monday, a working day
IDLE_TICKS = 2000
TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="timer_bench" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:timerEventDefinition id="hour"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="wait" /><bpmn:sequenceFlow id="b" sourceRef="wait" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def django_setup(database, redis=None, queue=None, at=None):
    """Set up Django in this process on `database`, with Celery on `redis` (eager without), the clock at `at`."""
    os.environ["DATABASE_URL"] = database
    os.environ.pop("REDIS_URL", None)
    if redis:
        os.environ["REDIS_URL"] = redis
    if queue:
        os.environ["CELERY_QUEUE"] = queue
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")  # as in production: statements are not logged
    import django

    django.setup()
    from engine.api import clock

    if at is not None:
        clock.set_time(datetime.fromisoformat(at))


def recreate_database():
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}"')
        conn.execute(f'CREATE DATABASE "{NAME}"')


def prepare():
    """Migrate, deploy bpmn/ (as bootstrap does) and the timer process."""
    from django.core.management import call_command

    from engine import api

    call_command("migrate", verbosity=0)
    call_command("bootstrap", stdout=open(os.devnull, "w"))
    api.deploy({"timer_bench.bpmn": TIMER_PROCESS}, actor="bench")


def start_instances(n, at):
    """Start n timer instances at `at`; returns starts per second."""
    from engine import api
    from engine.api import clock

    clock.set_time(at)
    began = time.perf_counter()
    for i in range(n):
        assert api.start("timer_bench", f"t-{at:%j%H}-{i}", {}, actor="bench").instance.state == "waiting"
    return n / (time.perf_counter() - began)


def spawn(role, at, queue, signals=""):
    return subprocess.Popen([sys.executable, __file__, f"--{role}", at.isoformat(), queue, signals], cwd=ROOT,
                            stdout=subprocess.DEVNULL if role == "dispatcher" else subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def drain(n, dispatchers, workers, at, round_number):
    """Drain the round's due timers; returns (timers per second, seconds, fired twice, not completed)."""
    from django.db.models import Count

    from config.celery import app
    from engine.models import AuditEvent, ProcessInstance, Timer

    queue = f"bench-timers-{os.getpid()}-{round_number}"
    signals = Path(tempfile.mkdtemp())  # each dispatcher says it is ready there, and waits for "go"
    procs = [spawn("worker", at, queue) for _ in range(workers)]
    try:
        procs += [spawn("dispatcher", at, queue, str(signals)) for _ in range(dispatchers)]
        deadline = time.monotonic() + 60
        while (len(app.control.ping(timeout=0.5) or []) < workers
               or len(list(signals.glob("ready-*"))) < dispatchers):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(b"".join(p.stdout.read() if p.poll() is not None and p.stdout else b""
                                          for p in procs).decode())
        began = time.perf_counter()
        (signals / "go").touch()
        while Timer.objects.exists():
            time.sleep(0.05)
        seconds = time.perf_counter() - began
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        shutil.rmtree(signals)
    fired = (AuditEvent.objects.filter(action="timer.fired").values("task_id").annotate(n=Count("id"))
             .filter(n__gt=1).count())
    open_instances = ProcessInstance.objects.exclude(state="completed").count()
    return n / seconds, seconds, fired, open_instances


def idle_tick_microseconds(at):
    """The mean cost of a dispatcher tick that finds nothing due, and of a bare SELECT 1, in microseconds."""
    from django.db import connection

    from engine.api import clock, dispatch_due_timers

    clock.set_time(at)
    began = time.perf_counter()
    handed = dispatch_due_timers()  # the first tick after a deployment may read specs, after a drain vacuum
    first = (time.perf_counter() - began) * 1e6
    assert not any(handed.values()), handed
    began = time.perf_counter()
    for _ in range(IDLE_TICKS):
        dispatch_due_timers()
    tick = (time.perf_counter() - began) / IDLE_TICKS * 1e6
    with connection.cursor() as cursor:
        began = time.perf_counter()
        for _ in range(IDLE_TICKS):
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return tick, (time.perf_counter() - began) / IDLE_TICKS * 1e6, first


def sqlite_idle_tick():
    """In a process of its own: the idle tick on a SQLite database with a few waiting timers."""
    with tempfile.TemporaryDirectory() as var:
        os.environ["VAR_DIR"] = var
        django_setup(f"sqlite:///{var}/bench.sqlite3")
        prepare()
        start_instances(100, START)
        print("%.0f %.0f" % idle_tick_microseconds(START + timedelta(minutes=30))[:2])


def serve(role, at, queue, signals):
    """A dispatcher or a worker process of the drain, on the clock's moment `at`."""
    django_setup(DATABASE, REDIS, queue, at)
    if role == "worker":
        from config.celery import app

        app.worker_main(["worker", "--pool=solo", "--concurrency=1", "-Q", queue, "--loglevel=WARNING",
                         "--without-gossip", "--without-mingle", "--without-heartbeat"])
        return
    from engine.api import dispatch_due_timers

    (Path(signals) / f"ready-{os.getpid()}").touch()
    while not (Path(signals) / "go").exists():
        time.sleep(0.01)
    while True:  # a beat that ticks again at once while there is work, as the drain needs
        handed = dispatch_due_timers()
        if not any(handed.values()):
            time.sleep(0.1)


def main():
    if len(sys.argv) == 5 and sys.argv[1] in ("--worker", "--dispatcher"):
        serve(sys.argv[1][2:], *sys.argv[2:])
        return
    if sys.argv[1:] == ["--sqlite-idle"]:
        sqlite_idle_tick()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=2000)
    parser.add_argument("--dispatchers", default="1,2", help="comma-separated: one round each")
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()
    recreate_database()
    django_setup(DATABASE, REDIS)
    prepare()
    print(f"(e) {options.timers} due timers per round, {options.workers} Celery workers over Redis, PostgreSQL")
    at, worst = START, 0
    for number, dispatchers in enumerate(int(d) for d in options.dispatchers.split(",")):
        starts = start_instances(options.timers, at)
        at += timedelta(hours=2)
        rate, seconds, twice, unfinished = drain(options.timers, dispatchers, options.workers, at, number)
        worst = max(worst, twice)
        print(f"  {dispatchers} dispatcher(s): started {starts:.0f}/s; drained {rate:.0f}/s in {seconds:.1f} s "
              f"({rate / starts:.2f}x the start rate; target >= 1); fired twice: {twice}; "
              f"instances not completed: {unfinished}", flush=True)
        at += timedelta(days=1)
    drained, drained_select, first = idle_tick_microseconds(at)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM")  # what autovacuum does soon after a drain: the drained rows' index entries go
    postgres, postgres_select, _ = idle_tick_microseconds(at)
    sqlite, sqlite_select = (float(x) for x in subprocess.run(
        [sys.executable, __file__, "--sqlite-idle"], cwd=ROOT, check=True, capture_output=True,
        text=True).stdout.split()[-2:])
    print(f"  a tick that finds nothing due, mean of {IDLE_TICKS} (target well under 1000 µs), beside a bare SELECT 1:")
    print(f"    PostgreSQL right after the drain {drained:.0f} µs ({drained_select:.0f} µs; the first tick "
          f"{first / 1000:.1f} ms), vacuumed "
          f"{postgres:.0f} µs ({postgres_select:.0f} µs); SQLite {sqlite:.0f} µs ({sqlite_select:.0f} µs)")
    print(f"  timers fired twice in all rounds: {worst} (must be 0)")


if __name__ == "__main__":
    main()
