"""Timer start events: the processes that start themselves (runtime/schedules.py says how)."""
from django.db import IntegrityError, transaction

from .. import audit
from ..models import ScheduledStart
from ..runtime import schedules
from .instances import start


def start_scheduled(now=None):
    """Start what each due occurrence of a timer start event starts, each occurrence once (the dispatcher's
    work at every tick). Returns the ScheduledStart rows this call claimed."""
    claimed = []
    for occurrence in schedules.due(now):
        key = occurrence.version.definition.key
        try:
            with transaction.atomic():
                row = ScheduledStart.objects.create(definition_key=key, element=occurrence.element,
                                                    occurrence_at=occurrence.at)
        except IntegrityError:
            continue  # another dispatcher claimed it
        try:
            with transaction.atomic():
                for business_key, data in schedules.start_data(occurrence):
                    start(key, business_key, data, actor=audit.SYSTEM, version=occurrence.version)
                    row.instances += 1
        except Exception as err:  # noqa: BLE001 - the diagram's startWith may raise anything
            # Claimed and not started: told, never tried again (a fixed diagram is a new version).
            row.instances, row.error = 0, f"{type(err).__name__}: {err}"
            audit.record("schedule.failed", data={"key": key, "element": occurrence.element,
                                                  "occurrence": occurrence.at.isoformat(), "error": row.error})
        row.save(update_fields=["instances", "error"])
        claimed.append(row)
    return claimed
