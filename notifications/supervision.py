"""Which tasks are 督办 (supervision of late work), as the diagrams say it.

The lifecycle's diagrams (and the modeler's 上报 and 督办 patterns) open a 督办 task from a timer on the
boundary of the late task: that shape is what marks one, whatever the task is called. A task whose name says
督办 is one too, for diagrams that reach it another way.
"""
from functools import lru_cache

from lxml import etree

from engine.models import DefinitionFile

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
WORD = "督办"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def escalation_tasks(xml):
    """BPMN ids of the user and manual tasks that a boundary timer of another activity leads to."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, _PARSER)
    timers = {event.get("id") for event in root.iter(f"{BPMN}boundaryEvent")
              if event.find(f"{BPMN}timerEventDefinition") is not None}
    targets = {flow.get("targetRef") for flow in root.iter(f"{BPMN}sequenceFlow") if flow.get("sourceRef") in timers}
    return {task.get("id") for kind in ("userTask", "manualTask") for task in root.iter(f"{BPMN}{kind}")
            if task.get("id") in targets}


@lru_cache(maxsize=256)
def _escalations_of_version(version_id, content_hash):
    """A deployed version's escalation tasks, across its diagrams: a version's content never changes, and its
    hash tells a reused id apart."""
    found = set()
    for xml in DefinitionFile.objects.filter(version_id=version_id, kind=DefinitionFile.BPMN).values_list(
            "content", flat=True):
        found |= escalation_tasks(xml)
    return frozenset(found)


def is_supervision(task):
    version = task.instance.version
    return WORD in task.name or task.bpmn_id in _escalations_of_version(version.pk, version.content_hash)
