"""(c) Pages at national size against the same pages at Guizhou's size, per role. Target: at most 1.5x.

Two PostgreSQL databases hold a synthetic nation with a year of history (manage.py loaddemo --national
--history): one of BENCH_STATIONS stations (default 40,000: 31 provinces, ~2,800 counties), one of
Guizhou's 64. Each page (inbox, instance list, dashboard, instance export) is requested BENCH_REQUESTS
times (default 30) as a county, a prefecture and a province, and its p95 printed side by side.

    python bench/national.py              # builds the databases the first time (minutes at 40,000)
    python bench/national.py --rebuild    # builds them again
"""
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shegong_bench").rsplit("/", 1)[0]
STATIONS = int(os.environ.get("BENCH_STATIONS", "40000"))
GUIZHOU_STATIONS = 64
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
ROLES = {"county": "syn-110101", "prefecture": "syn-1101", "province": "syn-11-civil-affairs"}
PAGES = {"inbox": "/", "instances": "/instances/", "dashboard": "/dashboard/",
         "instance export": "/export/instances.xlsx"}
TARGET = 1.5


def database(stations):
    return f"{BASE}/shegong_bench_national_{stations}"


def build(url, stations, rebuild):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            return
        if exists:
            conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    started = time.monotonic()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "loaddemo", "--national", "--stations", str(stations), "--history"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    print(f"built {name} ({stations} stations) in {time.monotonic() - started:.0f} s", flush=True)


def measure():
    """In a process of its own (DATABASE_URL set): {(page, role): p95 seconds}, printed one per line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    for role, username in ROLES.items():
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        for page, url in PAGES.items():
            times, status = [], None
            for _ in range(REQUESTS):
                began = time.perf_counter()
                response = client.get(url)
                b"".join(response.streaming_content) if response.streaming else response.content
                times.append(time.perf_counter() - began)
                status = response.status_code
            times.sort()
            print(f"{page}\t{role}\t{times[max(0, round(0.95 * len(times)) - 1)]:.4f}\t{status}", flush=True)


def figures(url):
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run([sys.executable, __file__, "--measure"], env=env, check=True, capture_output=True,
                         text=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 3]
    return {(page, role): (float(p95), status) for page, role, p95, status in rows}


def main():
    if "--measure" in sys.argv:
        measure()
        return
    rebuild = "--rebuild" in sys.argv
    small, large = database(GUIZHOU_STATIONS), database(STATIONS)
    build(small, GUIZHOU_STATIONS, rebuild)
    build(large, STATIONS, rebuild)
    at_guizhou, at_national = figures(small), figures(large)
    print(f"(c) p95 of {REQUESTS} requests, Guizhou's size ({GUIZHOU_STATIONS} stations) against national "
          f"({STATIONS} stations); target at most {TARGET}x")
    worst = 0.0
    for key in at_guizhou:
        (small_p95, small_status), (large_p95, large_status) = at_guizhou[key], at_national[key]
        ratio = large_p95 / small_p95
        worst = max(worst, ratio) if small_status == "200" else worst
        print(f"  {key[0]:<16} {key[1]:<11} {small_p95 * 1000:8.1f} ms {large_p95 * 1000:9.1f} ms "
              f"{ratio:6.2f}x  HTTP {small_status}/{large_status}")
    print(f"  worst ratio of the pages that answer: {worst:.2f}x ({'met' if worst <= TARGET else 'missed'})")


if __name__ == "__main__":
    main()
