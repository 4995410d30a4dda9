"""Messages between instances and from outside: sent here, kept until an instance waits for them."""
from django.db import transaction

from .. import audit, batch, clock, queue
from ..errors import InvalidInput
from ..models import Message, MessageSubscription
from ..models.instances import InstanceState
from ..runtime import incidents, messaging
from ..runtime.loading import load_workflow
from ..runtime.locking import locked_instance
from ..runtime.step import advance
from .inputs import check_data, check_text
from .instances import start


def send_message(name, correlation=None, payload=None, actor=None):
    """Send a message to whichever instance waits (or will wait) for it with this correlation; returns it."""
    if not name:
        raise InvalidInput({"name": "a message needs a name"})
    check_text(name, "name", Message._meta.get_field("name").max_length)
    correlation = correlation or {}
    if not isinstance(correlation, dict):
        raise InvalidInput({"correlation": "must be a JSON object"})
    check_data(correlation, "correlation")
    # The correlation travels in the payload too: diagrams read correlation properties from it.
    payload = {**correlation, **check_data(payload, "payload")}
    with batch.step_transaction(), audit.acting_as(actor):
        message = Message.objects.create(name=name, correlation=correlation, payload=payload,
                                         sender=audit.current_actor(), sent_at=clock.now())
        audit.record("message.sent", data={"message": str(message.id), "name": name, "correlation": correlation})
        queue.enqueue_on_commit(queue.DELIVER_MESSAGE, str(message.id))
    return message


_MOVED_ON = object()  # the subscription a delivery found was gone once its instance was locked


def _start_with(message_id):
    """Start the process whose start event catches the message, if one does: its start step takes the message.

    The message stays locked from the look until the start commits, so a message starts one instance at most.
    Returns the start's StepResult, or None.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update(skip_locked=True).filter(
            pk=message_id, state=Message.PENDING).first()
        if message is None or messaging.matching_subscription(message) is not None:
            return None  # taken meanwhile, or now awaited by an instance: a later delivery hands it over
        version = messaging.started_by(message.name)
        if version is None:
            return None
        try:
            data = check_data(message.payload)
        except InvalidInput:
            data = {}  # the start event's message variable still gets the whole payload
        return start(version.definition.key, data=data, actor=message.sender, version=version)


def deliver_message(message_id):
    """Deliver a pending message to a matching waiting instance, if one waits (the system's job).

    Returns the receiving step's StepResult, or None when nothing waits for the message.
    """
    for _attempt in range(3):
        message = Message.objects.filter(pk=message_id, state=Message.PENDING).first()
        if message is None:
            return None
        subscription = messaging.matching_subscription(message)
        if subscription is None:
            return _start_with(message_id)

        def step():
            with locked_instance(subscription.instance_id) as (instance, rows):
                if instance.state not in InstanceState.ACTIVE:
                    return None
                pending = Message.objects.select_for_update().filter(pk=message_id, state=Message.PENDING).first()
                current = MessageSubscription.objects.filter(pk=subscription.pk).first()
                if pending is None:
                    return None
                if current is None:
                    return _MOVED_ON
                workflow = load_workflow(instance)
                messaging.deliver_into(instance, workflow, rows, current, pending)
                return advance(instance, workflow, rows)

        result = incidents.run_step(step, instance_id=subscription.instance_id, element=subscription.bpmn_id)
        if result is not _MOVED_ON:  # else the instance moved on meanwhile: look again
            return result
    return None
