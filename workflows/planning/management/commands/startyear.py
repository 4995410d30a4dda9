"""`manage.py startyear [YYYY]`: start the county annual cycles of a year (the current one by default)."""
from django.core.management.base import BaseCommand, CommandError

from engine.api import clock
from engine.errors import NotFound
from workflows.planning.launch import start_year


class Command(BaseCommand):
    help = ("Start one county_annual_cycle per county that has stations and no cycle of the year yet, for the "
            "year given (default: the current year in China).")

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, nargs="?")

    def handle(self, *args, year, **options):
        year = year or clock.today_in_china().year
        try:
            started = start_year(year, actor="system")
        except (ValueError, NotFound) as err:
            raise CommandError(str(err)) from None
        for instance in started:
            self.stdout.write(f"started {instance.business_key} ({instance.pk})")
        self.stdout.write(f"{len(started)} county cycle(s) started for {year}")
