"""`manage.py startprocurement YYYY [--province CODE]`: start a year's procurements from their filed plans."""
from django.core.management.base import BaseCommand, CommandError

from engine.errors import Conflict, InvalidInput, NotFound
from workflows.procurement.launch import start_procurement
from workflows.procurement.provinces import provinces_with_filed_plans


class Command(BaseCommand):
    help = ("Start the provincial_procurement of the year given in a province (by its civil-affairs department's "
            "code), with one lot per county of it whose plan is filed; without --province, in every province "
            "where a plan is filed and no procurement of the year has started.")

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--province", help="the province's civil-affairs department code")

    def handle(self, *args, year, province, **options):
        provinces = [province] if province else provinces_with_filed_plans(year)
        started, refused = 0, []
        for code in provinces:
            try:
                instance = start_procurement(year, province=code, actor="system")
            except (Conflict, InvalidInput, NotFound) as err:
                refused.append(f"{code}: {err}")
                continue
            started += 1
            lots = instance.data.get("lots") or []
            self.stdout.write(f"started {instance.business_key} ({instance.pk}) with {len(lots)} lot(s)")
        if refused and (province or not started):
            raise CommandError("\n".join(refused))
        for line in refused:
            self.stderr.write(f"not started {line}")
        if not provinces:
            raise CommandError(f"no county has a filed annual plan of {year}")
