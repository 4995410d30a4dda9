"""Signals: thrown in one instance, caught by every instance waiting for a signal of that name when it is
thrown, at an intermediate, boundary or start event; and starting each process whose start event catches
it. A signal is not kept for instances that wait for it later (BPMN's broadcast, unlike a message).

A signal belongs to a tenant (Message.tenant): the throwing instance's, or the sender's from outside. Only that
tenant's instances catch it, and it starts processes on that tenant's current versions; a signal of every tenant
(null) reaches all instances and starts on the shared versions.

SpiffWorkflow delivers a signal inside the instance that throws it and reports it to the caller only when
nothing there caught it; `listen` records every signal a workflow throws, caught or not, so that the step
can broadcast it to the other instances.
"""
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from .. import audit, clock, queue, spiff_private
from ..bpmn.serializer import to_json_data
from ..models import Message
from ..models.messages import SIGNAL
from .loading import current_versions, specs_for
from .mirror import event_definitions, event_definitions_of


def listen(workflow):
    """Have `workflow` record the signals it throws (in `workflow.thrown_signals`) as it catches them."""
    if hasattr(workflow, "thrown_signals"):
        return
    workflow.thrown_signals = []
    catch = workflow.catch

    def recording(event):
        if isinstance(event.event_definition, SignalEventDefinition):
            workflow.thrown_signals.append(event)
        catch(event)

    workflow.catch = recording


def store_thrown(instance, workflow):
    """The signals the step threw, as rows to broadcast once the step has committed."""
    thrown, workflow.thrown_signals = getattr(workflow, "thrown_signals", []), []
    for event in thrown:
        payload = event.payload if isinstance(event.payload, dict) else {}
        signal = Message.objects.create(kind=SIGNAL, name=event.event_definition.name, payload=to_json_data(payload),
                                        tenant=instance.tenant, sender=audit.current_actor(), sender_instance=instance,
                                        sent_at=clock.now())
        audit.record("signal.thrown", instance=instance, data={"signal": str(signal.id), "name": signal.name,
                                                               "tenant": signal.tenant})
        queue.enqueue_on_commit(queue.DELIVER_SIGNAL, str(signal.id))


def deliver_into(instance, workflow, rows, subscription, signal):
    """Hand the signal to the waiting catch event of this (locked) instance."""
    task = workflow.get_task_from_id(subscription.task_id)
    definition = next(d for d in event_definitions(task)
                      if isinstance(d, SignalEventDefinition) and d.name == subscription.name)
    task.task_spec.catch(task, BpmnEvent(definition, payload=signal.payload))
    spiff_private.update_task(task)
    rows.drop_subscription(subscription)
    audit.record("signal.received", instance=instance, task_id=subscription.task_id,
                 data={"signal": str(signal.id), "name": signal.name, "element": subscription.bpmn_id})


def started_by(name, tenant=""):
    """The versions new instances of `tenant` start on, of the deployed processes whose start event catches
    signal `name`."""
    return [version for version in current_versions(tenant) if name in _start_signals(specs_for(version)[0])]


def _start_signals(spec):
    return {d.name for start in spec.start.outputs for d in event_definitions_of(start)
            if isinstance(d, SignalEventDefinition)}
