"""Play a whole year of the lifecycle on the simulated clock and report deadlines and outcomes."""
import os
import random
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from io import StringIO
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from engine import api
from engine.api import calendar, clock
from engine.api import deploy, read_files
from engine.errors import InvalidDefinition
from engine.models import ProcessInstance
from engine.models import InstanceState
from config.celery import app as celery_app
from workflows.models import Office, OfficeKind
from workflows.national import size_for
from workflows.planning import launch as county_cycle
from workflows.simulation.actors import Actors
from workflows.simulation.lifecycle import choose_counties, year_plan
from workflows.simulation.report import build_report, render
from workflows.simulation.reset import RecordsInUse, clear_year
from workflows.simulation.runner import Simulation

YEARS_TO_FINISH = 2  # a year's agreements run into the next year; evaluation follows
WORKERS_START_SECONDS = 60


class Command(BaseCommand):
    help = ("Simulate a year of the lifecycle: offices act on their tasks on the simulated clock; prints "
            "deadlines met and missed per statutory step and exits 1 if an instance is stuck or failed.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--stations", type=int, default=64, help="how many sample stations take part")
        parser.add_argument("--national", action="store_true",
                            help="the stations of a synthetic nation (loaddemo --national), generated when missing")
        parser.add_argument("--workers", type=int, default=0,
                            help="hand the steps to this many Celery worker processes started here (needs "
                                 "PostgreSQL and REDIS_URL; workers started elsewhere on them join); 0: one process")
        parser.add_argument("--seed", type=int, default=1, help="seed of the random choices")
        parser.add_argument("--reset-year", action="store_true",
                            help="cancel the year's open instances left by an earlier run and delete the year's "
                                 "records of the demonstration and synthetic offices first (plans, procurements, "
                                 "agreements, deployments, evaluations); the instances and the audit trail stay")

    def handle(self, *args, year, stations, seed, reset_year, national=False, workers=0, **options):
        if year not in calendar.YEARS:
            raise CommandError(f"--year must be a year from {calendar.YEARS[0]} to {calendar.YEARS[-1]}, not {year}")
        if stations < 1:
            raise CommandError("--stations must be at least 1")
        if national:
            try:
                size_for(stations)  # before the sample data is loaded
            except ValueError as err:
                raise CommandError(f"--stations: {err}") from None
        if workers < 0:
            raise CommandError("--workers must be 0 (one process) or more")
        if workers and (not settings.REDIS_URL or connection.vendor != "postgresql"):
            raise CommandError("--workers needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), which every worker "
                               "reaches; without them the year is played in this process")
        if not Office.objects.filter(is_sample=True, is_synthetic=False).exists():
            call_command("loaddemo", stdout=StringIO())
            self.stdout.write("loaded the demonstration offices (manage.py loaddemo prints the accounts)")
        if national and Office.objects.filter(kind=OfficeKind.STATION, is_synthetic=True).count() < stations:
            call_command("loaddemo", "--national", "--stations", str(stations), stdout=StringIO())
            self.stdout.write(f"generated a synthetic nation of {stations} stations (loaddemo --national)")
        self._deploy()
        existing = ProcessInstance.objects.filter(data__year=year)
        if existing.exists():
            if not reset_year:
                raise CommandError(f"the database already holds {existing.count()} instances of {year}; "
                                   f"give --reset-year to cancel the open ones and simulate again")
            try:
                with transaction.atomic():  # cancelled only if the records can go too
                    self._cancel(existing.filter(state__in=InstanceState.OPEN))
                    deleted = clear_year(year)
            except RecordsInUse as err:
                raise CommandError(f"{year} cannot be simulated again: {err}") from None
            self.stdout.write(f"deleted the year's records: {', '.join(f'{n} {label}' for label, n in deleted.items())}"
                              if deleted else "the year had no records of sample offices")
        rng = random.Random(seed)
        actors = Actors(rng)
        try:
            counties = choose_counties(stations, rng, national)
        except ValueError as err:
            raise CommandError(str(err)) from None
        self.stdout.write(f"simulating {year}: {stations} {'synthetic' if national else 'sample'} stations in "
                          f"{len(counties)} counties (seed {seed})")
        until = datetime(year + YEARS_TO_FINISH, 12, 31, 23, 59, tzinfo=clock.CHINA)
        # The chosen counties are started by the simulation; the diagram's January start would start all.
        api.skip_scheduled(county_cycle.PROCESS, until, reason=f"simulate --year {year} --stations {stations}")
        with self._hands(workers) as hands:
            simulation = Simulation(year_plan(year, counties, actors), actors, until, progress=self.stdout.write,
                                    hands=hands)
            try:
                outcome = simulation.run()
            finally:
                clock.release()
        report = build_report(outcome)
        self.stdout.write(render(report))
        if not report.ok:
            raise SystemExit(1)

    @contextmanager
    def _hands(self, count):
        """Who takes the steps: this process (None), or `count` worker processes started here for the run."""
        if not count:
            yield None
            return
        from workflows.simulation.jobs import Workers

        env = {**os.environ, "DATABASE_URL": _database_url()}
        processes = [subprocess.Popen(
            [sys.executable, "-m", "celery", "--quiet", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
             f"--hostname=simulate{number}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env) for number in range(1, count + 1)]
        try:
            answered = self._wait_for_workers(count, processes)
            self.stdout.write(f"{answered} workers take the steps ({count} started here)")
            yield Workers()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)

    @staticmethod
    def _wait_for_workers(count, processes):
        deadline = time.monotonic() + WORKERS_START_SECONDS
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                raise CommandError("a worker process ended as it started (its output is above)")
            answered = len(celery_app.control.ping(timeout=0.5))
            if answered >= count:
                return answered
        raise CommandError(f"the workers did not answer within {WORKERS_START_SECONDS} s")

    def _deploy(self):
        files = sorted((settings.BASE_DIR / "bpmn").glob("*.bpmn"))
        try:
            result = deploy(*read_files(files), note="simulation", actor="system")
        except InvalidDefinition as err:
            raise CommandError("\n".join(str(p) for p in err.problems)) from None
        for version in result.created:
            self.stdout.write(f"deployed {version.definition.key} version {version.number}")

    def _cancel(self, instances):
        # Their ids only: an interrupted national year leaves up to a hundred thousand, each with its data.
        ids = list(instances.values_list("pk", flat=True))
        for instance_id in ids:
            api.cancel(instance_id, actor=None, reason="simulation run again (--reset-year)")
        self.stdout.write(f"cancelled {len(ids)} open instances of the year")


def _database_url():
    """This process's database as a URL, for the workers it starts (a test's database too)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")
