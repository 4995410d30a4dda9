"""Small steps the tests share: reading rows again, moving the clock, finding an open task, running a command."""
import threading
from datetime import datetime
from io import StringIO

from django.core.management import call_command

from engine.api import clock
from engine.models import HumanTask, ProcessInstance
from engine.api import dispatch_due_timers


def reload(instance):
    """The instance's row as the database now holds it."""
    return ProcessInstance.objects.get(pk=instance.pk)


def move_clock_to(when):
    """Move the clock; fire what fell due (a timer fires once its moment has passed) and deliver messages."""
    clock.set_time(when)
    return dispatch_due_timers()


def open_task(instance, bpmn_id):
    """The one open (or claimed) task of `instance` at the element `bpmn_id`."""
    return HumanTask.objects.get(instance=instance, bpmn_id=bpmn_id, state__in=["open", "claimed"])


def china(year, month, day, hour=10, minute=0):
    """A moment in China time (10:00 unless told)."""
    return datetime(year, month, day, hour, minute, tzinfo=clock.CHINA)


def command_output(name, *args):
    """What `manage.py NAME ARGS...` writes to its standard output."""
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def run_at_once(*targets):
    """Run each callable in a thread of its own, all started before any is waited for."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
