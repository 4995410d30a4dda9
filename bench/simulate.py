"""(d) A national year's tasks per second in one process and with 1 and 2 workers, projected to 40,000 stations.
Target: a national year in at most 1 hour, and faster with more workers.

A PostgreSQL database holding a synthetic nation of BENCH_STATIONS stations (default 100; manage.py loaddemo
--national) is built once as a template; each run plays `simulate --year 2027 --national` on a fresh copy of
it, with its steps taken in this process (0 workers) or by 1 and 2 Celery workers through Redis
(BENCH_REDIS_URL). Tasks grow with the stations, so the projection is the run's tasks scaled to 40,000
stations at the run's rate. A larger BENCH_STATIONS fills the workers' batches more, as a nation would.

    python bench/simulate.py              # builds the template the first time
    python bench/simulate.py --rebuild    # builds it again
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE, NAME = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shegong_bench").rsplit("/", 1)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
STATIONS = int(os.environ.get("BENCH_STATIONS", "100"))
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "0,1,2").split(",")]
YEAR = 2027
NATION = 40000
TARGET_HOURS = 1.0
TEMPLATE = f"{NAME}_simulate_{STATIONS}"
RUN = f"{NAME}_simulate_run"


def admin(*statements):
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        return [conn.execute(statement).fetchall() if statement.startswith("SELECT") else conn.execute(statement)
                for statement in statements]


def build(rebuild):
    exists = admin(f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE}'")[0]
    if exists and not rebuild:
        return
    admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"', f'CREATE DATABASE "{TEMPLATE}"')
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{TEMPLATE}"}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "loaddemo", "--national", "--stations", str(STATIONS)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"built {TEMPLATE} ({STATIONS} synthetic stations)", flush=True)


def play(workers):
    """(tasks, steps, seconds, ok) of one simulated year on a fresh copy of the template."""
    import redis

    admin(f'DROP DATABASE IF EXISTS "{RUN}"', f'CREATE DATABASE "{RUN}" TEMPLATE "{TEMPLATE}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    # As in production, statements are not logged (DEBUG=0); the workers it starts inherit the setting.
    env = {"DEBUG": "0", **os.environ, "DATABASE_URL": f"{BASE}/{RUN}", "REDIS_URL": REDIS_URL}
    command = [sys.executable, str(ROOT / "manage.py"), "simulate", "--year", str(YEAR), "--national",
               "--stations", str(STATIONS), "--workers", str(workers)]
    output = subprocess.run(command, env=env, capture_output=True, text=True).stdout
    done = re.search(r"(\d+) tasks completed in ([\d.]+) s", output)
    steps = re.search(r"\((\d+) engine steps", output)
    if not done or not steps:
        raise SystemExit(f"simulate --workers {workers} printed no figures:\n{output[-3000:]}")
    return int(done[1]), int(steps[1]), float(done[2]), "result: ok" in output


def main():
    build("--rebuild" in sys.argv)
    print(f"(d) a national year ({YEAR}), {STATIONS} synthetic stations, projected to {NATION:,}; "
          f"target {TARGET_HOURS:.0f} h")
    print("workers 0: every step in the simulating process, as without Redis")
    print(f"{'workers':>8} {'tasks':>7} {'steps':>7} {'seconds':>8} {'tasks/s':>8} {'steps/s':>8} "
          f"{'national tasks':>15} {'national hours':>15}  result")
    for workers in WORKERS:
        started = time.monotonic()
        tasks, steps, seconds, ok = play(workers)
        national = tasks * NATION / STATIONS
        hours = national / (tasks / seconds) / 3600
        print(f"{workers:>8} {tasks:>7} {steps:>7} {seconds:>8.1f} {tasks / seconds:>8.1f} "
              f"{steps / seconds:>8.1f} {national:>15,.0f} {hours:>15.1f}  "
              f"{'ok' if ok else 'PROBLEMS'} ({time.monotonic() - started:.0f} s with set-up)", flush=True)
        if hours > TARGET_HOURS:
            print(f"{'':>8} {hours / TARGET_HOURS:.0f}x too slow for the target: "
                  f"{national / (TARGET_HOURS * 3600):.0f} tasks/s needed", flush=True)


if __name__ == "__main__":
    main()
