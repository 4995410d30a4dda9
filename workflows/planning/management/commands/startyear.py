"""`manage.py startyear YYYY`: start the county annual cycles of a year."""
from django.core.management.base import BaseCommand, CommandError

from engine.errors import NotFound
from workflows.planning.launch import start_year


class Command(BaseCommand):
    help = "Start one county_annual_cycle per county that has stations, for the year given."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year, **options):
        try:
            started = start_year(year, actor="system")
        except (ValueError, NotFound) as err:
            raise CommandError(str(err)) from None
        for instance in started:
            self.stdout.write(f"started {instance.business_key} ({instance.pk})")
        self.stdout.write(f"{len(started)} county cycle(s) started for {year}")
