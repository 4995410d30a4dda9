"""Play a whole year of the lifecycle on the simulated clock and report deadlines and outcomes."""
import random
from datetime import datetime
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from engine import api
from engine.api import clock
from engine.api import deploy, read_files
from engine.errors import InvalidDefinition
from engine.models import ProcessInstance
from engine.models import InstanceState
from workflows.models import Office
from workflows.planning import launch as county_cycle
from workflows.simulation.actors import Actors
from workflows.simulation.lifecycle import choose_counties, year_plan
from workflows.simulation.report import build_report, render
from workflows.simulation.runner import Simulation

YEARS_TO_FINISH = 2  # a year's agreements run into the next year; evaluation follows


class Command(BaseCommand):
    help = ("Simulate a year of the lifecycle: offices act on their tasks on the simulated clock; prints "
            "deadlines met and missed per statutory step and exits 1 if an instance is stuck or failed.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--stations", type=int, default=64, help="how many sample stations take part")
        parser.add_argument("--seed", type=int, default=1, help="seed of the random choices")
        parser.add_argument("--reset-year", action="store_true",
                            help="cancel the year's open instances left by an earlier run first")

    def handle(self, *args, year, stations, seed, reset_year, **options):
        if stations < 1:
            raise CommandError("--stations must be at least 1")
        if not Office.objects.filter(is_sample=True, is_synthetic=False).exists():
            call_command("loaddemo", stdout=StringIO())
            self.stdout.write("loaded the demonstration offices (manage.py loaddemo prints the accounts)")
        self._deploy()
        existing = ProcessInstance.objects.filter(data__year=year)
        if existing.exists():
            if not reset_year:
                raise CommandError(f"the database already holds {existing.count()} instances of {year}; "
                                   f"give --reset-year to cancel the open ones and simulate again")
            self._cancel(existing.filter(state__in=InstanceState.OPEN))
        rng = random.Random(seed)
        actors = Actors(rng)
        try:
            counties = choose_counties(stations, rng)
        except ValueError as err:
            raise CommandError(str(err)) from None
        self.stdout.write(f"simulating {year}: {stations} stations in {len(counties)} counties (seed {seed})")
        until = datetime(year + YEARS_TO_FINISH, 12, 31, 23, 59, tzinfo=clock.CHINA)
        # The chosen counties are started by the simulation; the diagram's January start would start all.
        api.skip_scheduled(county_cycle.PROCESS, until, reason=f"simulate --year {year} --stations {stations}")
        simulation = Simulation(year_plan(year, counties, actors), actors, until, progress=self.stdout.write)
        try:
            outcome = simulation.run()
        finally:
            clock.release()
        report = build_report(outcome)
        self.stdout.write(render(report))
        if not report.ok:
            raise SystemExit(1)

    def _deploy(self):
        files = sorted((settings.BASE_DIR / "bpmn").glob("*.bpmn"))
        try:
            result = deploy(*read_files(files), note="simulation", actor="system")
        except InvalidDefinition as err:
            raise CommandError("\n".join(str(p) for p in err.problems)) from None
        for version in result.created:
            self.stdout.write(f"deployed {version.definition.key} version {version.number}")

    def _cancel(self, instances):
        for instance in instances:
            api.cancel(instance.pk, actor=None, reason="simulation run again (--reset-year)")
        self.stdout.write(f"cancelled {len(instances)} open instances of the year")
