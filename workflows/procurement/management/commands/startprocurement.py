"""`manage.py startprocurement YYYY`: start the provincial procurement of a year from its filed plans."""
from django.core.management.base import BaseCommand, CommandError

from engine.errors import Conflict, InvalidInput, NotFound
from workflows.procurement.launch import start_procurement


class Command(BaseCommand):
    help = "Start the provincial_procurement of the year given, with one lot per county whose plan is filed."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year, **options):
        try:
            instance = start_procurement(year, actor="system")
        except (Conflict, InvalidInput, NotFound) as err:
            raise CommandError(str(err)) from None
        lots = instance.data.get("lots") or []
        self.stdout.write(f"started {instance.business_key} ({instance.pk}) with {len(lots)} lot(s)")
