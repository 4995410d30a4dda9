"""Messages between instances, stored until an instance waits for them.

SpiffWorkflow does not buffer messages: one sent before its catch event waits
would be lost. So every message is a row. A sender's step stores it; delivery
runs after that commit (and again on every dispatcher tick) and hands it to the
oldest matching subscription in a step of the receiver. A receiver reaching a
catch event takes a matching pending message in its own step. A message that no
instance waits for starts the process whose start event catches it, if one does
(started_by): its start step takes the message like any catch event.
"""
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from .. import audit, batch, clock, queue, spiff_private
from ..bpmn.serializer import to_json_data
from ..models import Message, MessageSubscription
from ..models.messages import MESSAGE
from .loading import current_versions, scoped_versions, specs_for
from .mirror import event_definitions, event_definitions_of, flatten


def store_outbound(instance, workflow):
    """Messages the workflow threw that nothing inside it caught."""
    stored = []
    for event in workflow.get_events():
        definition = event.event_definition
        if isinstance(definition, TerminateEventDefinition):
            continue  # SpiffWorkflow reports a terminate end event after it already ended its process
        if isinstance(definition, SignalEventDefinition):
            continue  # broadcast to the other instances (signals.py), caught here or not
        if not isinstance(definition, MessageEventDefinition):
            audit.record("event.unhandled", instance=instance,
                         data={"event": definition.__class__.__name__, "name": definition.name})
            continue
        message = Message.objects.create(
            name=definition.name, correlation=to_json_data(flatten(event.correlations)),
            payload=to_json_data(event.payload if isinstance(event.payload, dict) else {"value": event.payload}),
            sender=audit.current_actor(), sender_instance=instance, sent_at=clock.now(),
        )
        audit.record("message.sent", instance=instance,
                     data={"message": str(message.id), "name": message.name, "correlation": message.correlation})
        stored.append(message)
    for message in stored:
        queue.enqueue_on_commit(queue.DELIVER_MESSAGE, str(message.id))
    return stored


def take_pending_for(subscription, delivered=()):
    """A pending message for this new subscription, locked for this step, or None.

    `delivered`: ids of messages this step already handed over (still pending in the table until
    the step's writes go out); a catch event in a loop must not take the same message again.
    """
    candidates = Message.objects.select_for_update(skip_locked=True).filter(
        kind=MESSAGE, name=subscription.name, state=Message.PENDING).exclude(pk__in=delivered).order_by("sent_at")
    for message in candidates:
        if subscription.matches(message.correlation):
            return message
    return None


def deliver_into(instance, workflow, rows, subscription, message):
    """Hand the message to the waiting catch event of this (locked) instance."""
    task = workflow.get_task_from_id(subscription.task_id)
    definition = next(d for d in event_definitions(task) if getattr(d, "name", None) == subscription.name)
    # The subscription already matched; the event goes to this task only, with the correlations
    # SpiffWorkflow computes from the payload so that its own check (for gateways) agrees.
    correlations = definition.calculate_correlations(
        workflow.script_engine, definition.correlation_properties, message.payload)
    task.task_spec.catch(task, BpmnEvent(definition, payload=message.payload, correlations=correlations))
    spiff_private.update_task(task)
    message.state, message.delivered_to, message.delivered_at = Message.DELIVERED, instance, clock.now()
    batch.update(message, ["state", "delivered_to", "delivered_at"])
    rows.delivered.add(message.pk)
    rows.drop_subscription(subscription)
    audit.record("message.delivered", instance=instance, task_id=subscription.task_id,
                 data={"message": str(message.id), "name": message.name, "element": subscription.bpmn_id})


def started_by(name, tenant=""):
    """The version new instances of `tenant` start on, of the first deployed process (by key) whose start event
    catches message `name` there."""
    return next((v for v in current_versions(tenant) if name in _start_messages(specs_for(v)[0])), None)


def start_message_names():
    """The names of the messages that start a deployed process, for one tenant or another."""
    return {name for _tenant, version in scoped_versions() for name in _start_messages(specs_for(version)[0])}


def _start_messages(spec):
    """The names of the messages the process's start events catch."""
    return {d.name for start in spec.start.outputs for d in event_definitions_of(start)
            if isinstance(d, MessageEventDefinition)}


def matching_subscription(message):
    for subscription in MessageSubscription.objects.filter(kind=MESSAGE, name=message.name).select_related("instance"):
        if subscription.matches(message.correlation):
            return subscription
    return None
