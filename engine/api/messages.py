"""Messages between instances and from outside, sent here and kept until an instance waits for them; and
signals, thrown here or by an instance, to every instance of their tenant waiting for them."""
from django.db import transaction

from .. import audit, batch, clock, queue
from ..directory import get_directory
from ..errors import InvalidInput, StepFailed
from ..models import Message, MessageSubscription
from ..models.messages import SIGNAL
from ..models.instances import InstanceState
from ..runtime import incidents, messaging, signals
from ..runtime.loading import load_workflow
from ..runtime.locking import locked_instance
from ..runtime.step import advance
from ..versions import bound_tenant
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
        data = _start_data(message.payload)
        # On the version the tenant the instance will belong to starts on: a province's own, if it has one.
        tenant = get_directory().tenant_for(data)
        version = messaging.started_by(message.name, tenant)
        if version is None:
            return None
        # The start event's message variable still gets the whole payload.
        return start(version.definition.key, data=data, actor=message.sender, version=version, tenant=tenant)


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


_SENDERS = object()  # send_signal's tenant when the caller names none: the sender's


def send_signal(name, payload=None, actor=None, tenant=_SENDERS):
    """Throw signal `name` from outside: every instance of its tenant waiting for it then catches it; returns its
    row.

    `tenant`: by default the one the directory binds `actor` to (engine.directory.Directory.tenant_of); a sender
    bound to none (the system, a script, the shared versions' owner) throws it for every tenant, as None does.
    "" throws it for the instances of no tenant alone.
    """
    if not name:
        raise InvalidInput({"name": "a signal needs a name"})
    check_text(name, "name", Message._meta.get_field("name").max_length)
    payload = check_data(payload, "payload")
    if tenant is _SENDERS:
        tenant = bound_tenant(actor) or None
    elif tenant is not None:
        check_text(tenant, "tenant", Message._meta.get_field("tenant").max_length)
    with batch.step_transaction(), audit.acting_as(actor):
        signal = Message.objects.create(kind=SIGNAL, name=name, payload=payload, tenant=tenant,
                                        sender=audit.current_actor(), sent_at=clock.now())
        audit.record("signal.thrown", data={"signal": str(signal.id), "name": name, "tenant": tenant})
        queue.enqueue_on_commit(queue.DELIVER_SIGNAL, str(signal.id))
    return signal


def deliver_signal(signal_id):
    """Broadcast a thrown signal (the system's job): into every instance of its tenant that waited for it when
    it was thrown, but the one that threw it (SpiffWorkflow delivered it there), then start each process whose
    start event catches it, for its tenant. Safe to run again: a catch event takes a signal once, a signal starts
    once.

    Returns the StepResults of the instances that caught it and of those it started.
    """
    signal = Message.objects.filter(pk=signal_id, kind=SIGNAL, state=Message.PENDING).first()
    if signal is None:
        return []
    results = []
    waiting = MessageSubscription.objects.filter(kind=SIGNAL, name=signal.name, created_at__lte=signal.sent_at)
    if signal.tenant is not None:
        waiting = waiting.filter(instance__tenant=signal.tenant)
    waiting = waiting.exclude(instance_id=signal.sender_instance_id).order_by("created_at")
    for subscription in waiting:
        results.append(_signal_into(subscription, signal))
    with transaction.atomic():
        if not Message.objects.select_for_update(skip_locked=True).filter(pk=signal_id, state=Message.PENDING).exists():
            return results  # another delivery finished it meanwhile
        for version in signals.started_by(signal.name, signal.tenant or ""):
            started = start(version.definition.key, data=_start_data(signal.payload), actor=signal.sender,
                            version=version, tenant=signal.tenant)
            for subscription in MessageSubscription.objects.filter(instance=started.instance, kind=SIGNAL,
                                                                   name=signal.name):
                results.append(_signal_into(subscription, signal))
        Message.objects.filter(pk=signal_id).update(state=Message.DELIVERED, delivered_at=clock.now())
    return [result for result in results if result is not None]


def _start_data(payload):
    """A message's or signal's payload as a started instance's data: none when it could not be stored."""
    try:
        return check_data(payload)
    except InvalidInput:
        return {}


def _signal_into(subscription, signal):
    """One instance's step taking the signal at its waiting catch event; None when it no longer waits, or
    when the step failed (an incident of that instance, which does not stop the broadcast)."""
    def step():
        with locked_instance(subscription.instance_id) as (instance, rows):
            current = MessageSubscription.objects.filter(pk=subscription.pk).first()
            if instance.state not in InstanceState.ACTIVE or current is None:
                return None
            workflow = load_workflow(instance)
            signals.deliver_into(instance, workflow, rows, current, signal)
            return advance(instance, workflow, rows)

    try:
        return incidents.run_step(step, instance_id=subscription.instance_id, element=subscription.bpmn_id)
    except StepFailed:
        return None
