"""What the service-task handlers share in writing their domain records."""


def save_transition(record, *fields, whole_row=False):
    """Write `record` after a django-fsm transition: its state and `fields`, or with `whole_row` every
    column (a transition that sets many of them). Returns the new state."""
    if whole_row:
        record.save()
    else:
        record.save(update_fields=["state", *fields])
    return record.state


def known_instance(record, instance):
    """Give `record` the step's ProcessInstance when it belongs to it, so the audit row of its transition
    (engine.audit reads `record.process_instance`) costs no query. Returns `record`."""
    if record is not None and instance.pk is not None and record.process_instance_id == instance.pk:
        record.process_instance = instance
    return record
