"""Timer values written as ISO 8601 literals, as Camunda Modeler and bpmn.io write them.

The engine reads a timer's text as an expression (`add_workdays(signed_on, 15)`, `"P2D"`); other tools write
the value itself (`P2D`, `2026-03-02T09:00:00+08:00`, `R3/PT24H`), which as Python would be a name or
arithmetic (2026-03-02 is 2021). A timer whose whole text is such a literal is read as that text.
"""
import re

from .parser import NSMAP

_DURATION = r"P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
_MOMENT = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
_CYCLE = rf"R\d*/(({_MOMENT})/({_DURATION})|({_DURATION})/({_MOMENT})|({_DURATION}))"
LITERAL = re.compile(rf"({_DURATION}|{_MOMENT}|{_CYCLE})", re.ASCII)


def quote_literals(root):
    """Quote every timer whose text is an ISO 8601 literal, so it reads as that text; returns how many."""
    quoted = 0
    for timer in root.xpath("//bpmn:timeDate | //bpmn:timeDuration | //bpmn:timeCycle", namespaces=NSMAP):
        text = (timer.text or "").strip()
        if text and LITERAL.fullmatch(text):
            timer.text = f'"{text}"'
            quoted += 1
    return quoted
