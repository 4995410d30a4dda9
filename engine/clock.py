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
SHARED_KEY = "engine:clock:shared"


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


# One simulated clock for several processes: the process that moves time publishes each moment in a store
# every process reaches (a Redis client: get, set, delete). Each job it sends carries the moment (`shared_moment`),
# and so does each job those send in turn: the worker runs it at that moment (`follow`) without asking the store.

def publish(store, when: datetime) -> None:
    """Fix this process's clock at `when` and make it the moment of every process that follows `store`."""
    set_time(when)
    store.set(SHARED_KEY, now().isoformat())
    _global["shared"] = True


def unpublish(store) -> None:
    """End the shared clock: followers run on the system clock again, and so does this process."""
    store.delete(SHARED_KEY)
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
