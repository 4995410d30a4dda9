"""Rebuild the dashboards' deadline compliance counts from the task rows (workflows.compliance)."""
import time

from django.core.management.base import BaseCommand

from workflows.compliance import recount


class Command(BaseCommand):
    help = ("Rebuild the deadline compliance counts the dashboards show from the task rows: after task rows were "
            "written other than by the engine's steps, or to check the counts kept.")

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = recount()
        self.stdout.write(f"{counts} compliance counts rebuilt in {time.monotonic() - started:.1f} s")
