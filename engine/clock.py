"""The one source of "now" for the engine, its timers and every audit row.

Production reads the system clock. Tests and simulations freeze or move it;
SpiffWorkflow's timer module is pointed at this clock when the app starts, so
BPMN timers see the same time as everything else.
"""
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")

_state = threading.local()
_global = {"fixed": None, "shared": False}  # process-wide simulated time, shared by all threads


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    fixed = getattr(_state, "fixed", None) or _global["fixed"]
    if fixed is not None:
        return fixed
    return datetime.now(timezone.utc)


def today_in_china():
    return now().astimezone(CHINA).date()


def set_time(when: datetime) -> None:
    """Fix the process clock at `when` (aware) until `release()`."""
    if when.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _global["fixed"] = when.astimezone(timezone.utc)


def advance(delta: timedelta) -> datetime:
    """Move a fixed clock forward; fixes it at now + delta if it was running."""
    set_time(now() + delta)
    return now()


def release() -> None:
    _global["fixed"] = None
    _global["shared"] = False


def is_fixed() -> bool:
    return _global["fixed"] is not None


# One simulated clock for several processes: the process that moves time publishes each moment, and each job
# it sends carries it (`shared_moment`), as does each job those send in turn: the worker runs it at that moment
# (`follow`). Nothing is stored: a worker learns the moment only from the job it runs.

def publish(when: datetime) -> None:
    """Fix this process's clock at `when` and make it the moment of the jobs this process sends."""
    set_time(when)
    _global["shared"] = True


def unpublish() -> None:
    """End the shared clock: jobs sent from now on run on the system clock, and so does this process."""
    release()


def shared_moment():
    """The moment a job sent now runs at, while this process publishes or follows a shared clock; else None."""
    return now().isoformat() if _global["shared"] else None


def follow(moment) -> bool:
    """Fix this process's clock at `moment` (from shared_moment(), sent with a job), or release it when the job
    came without one after a shared clock was followed. True while a shared clock runs."""
    if moment is not None:
        set_time(datetime.fromisoformat(moment))
        _global["shared"] = True
    elif _global["shared"]:
        release()
    return _global["shared"]


def is_shared() -> bool:
    """True while this process publishes or follows a shared clock."""
    return _global["shared"]


@contextmanager
def frozen_at(when: datetime):
    """Evaluate something as of `when` in this thread only (used to recompute due times)."""
    previous = getattr(_state, "fixed", None)
    _state.fixed = when.astimezone(timezone.utc)
    try:
        yield
    finally:
        _state.fixed = previous


class ClockDatetime(datetime):
    """A datetime whose now() reads the engine clock; installed into SpiffWorkflow's timers."""

    @classmethod
    def now(cls, tz=None):
        current = now()
        return current.astimezone(tz) if tz is not None else current.astimezone(CHINA).replace(tzinfo=None)


def install_into_spiffworkflow() -> None:
    """Point SpiffWorkflow's timer module at this clock and read naive timer dates as China time.

    SpiffWorkflow 3.2 has no clock hook (see spiff_private.install_clock); done once, at start-up.
    """
    from . import spiff_private

    spiff_private.install_clock(ClockDatetime, CHINA)
