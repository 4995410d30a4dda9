"""Timer start events: the processes that start themselves (runtime/schedules.py says how)."""
from django.db import IntegrityError, transaction

from .. import audit
from ..models import ScheduledStart
from ..runtime import schedules
from .instances import start


def skip_scheduled(key, through, actor=None, reason=""):
    """Claim every occurrence of process `key`'s timer starts due by `through` without starting anything:
    its instances were started another way (a simulation, a migration from another system) or are not
    wanted after a long downtime. Returns the ScheduledStart rows claimed."""
    skipped, by = [], audit.actor_name(actor) if actor is not None else audit.SYSTEM
    while True:
        occurrences = schedules.due(through, key=key)
        if not occurrences:
            return skipped
        for occurrence in occurrences:
            try:
                with transaction.atomic():
                    skipped.append(ScheduledStart.objects.create(
                        definition_key=key, tenant=occurrence.tenant, element=occurrence.element,
                        occurrence_at=occurrence.at, skipped_by=by))
            except IntegrityError:
                continue  # a dispatcher claimed it meanwhile
            audit.record("schedule.skipped", actor=actor, data={
                "key": key, "element": occurrence.element, "occurrence": occurrence.at.isoformat(),
                "reason": reason, **({"tenant": occurrence.tenant} if occurrence.tenant else {})})


def start_scheduled(now=None):
    """Start what each due occurrence of a timer start event starts, each occurrence once (the dispatcher's
    work at every tick). Returns the ScheduledStart rows this call claimed."""
    claimed = []
    for occurrence in schedules.due(now):
        key = occurrence.version.definition.key
        try:
            with transaction.atomic():
                row = ScheduledStart.objects.create(definition_key=key, tenant=occurrence.tenant,
                                                    element=occurrence.element, occurrence_at=occurrence.at)
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
            audit.record("schedule.failed", data={
                "key": key, "element": occurrence.element, "occurrence": occurrence.at.isoformat(), "error": row.error,
                **({"tenant": occurrence.tenant} if occurrence.tenant else {})})
        row.save(update_fields=["instances", "error"])
        claimed.append(row)
    return claimed
