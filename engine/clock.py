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
_global = {"fixed": None}  # process-wide simulated time, shared by all threads


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


def is_fixed() -> bool:
    return _global["fixed"] is not None


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
