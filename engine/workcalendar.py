"""Working days by the State Council's yearly holiday notice, for statutory deadlines.

The rules (DOMAIN.md, "Statutory deadlines"):

- A day is a working day when it is Monday to Friday, except where the loaded calendar says otherwise:
  a holiday on a weekday is a rest day, a make-up working weekend (调休) is a working day. A region's own
  holiday (RegionalHoliday) is a rest day in that region only, even on a make-up weekend; regions are
  matched by exact code, a prefecture's holiday does not reach its counties by itself.
- The start day is not counted: counting begins the day after.
- A period ends at 24:00 China time of its last day, i.e. 00:00 +08:00 of the next day, 16:00 UTC.
- An instant at exactly 00:00 China time is read as 24:00 of the day before. A due date can so be the
  start of the next period: add_workdays(add_workdays(d, 5), 2) counts the 2 days from the day the first
  period ended, not from the day after it.
- add_workdays(start, 0) is the end of the start day, or of the next working day when the start day is a
  rest day: the same as add_days(start, 0), a zero-length period that ends on a rest day moves on.

PROVISIONAL: a year with no CalendarYear row is not covered; there only Saturdays and Sundays are rest
days, so a due date counted through it may move once the year's notice is loaded. A DueDate is
`provisional` when any year from the start's year to the due date's year is not covered
(is_provisional_span). end_of_day and add_days(roll_forward=False) do not consult the calendar and are
never provisional. Loading a year sends `calendar_changed` so due dates can be recomputed.

The calendar is read into memory once per process (a dict of exception dates, the set of covered years,
the rest days of each region) and read again after invalidate() or when it is older than
CACHE_SECONDS, so other processes see a new year within that time. Counting makes no query per day.
"""
import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic

from django.dispatch import Signal

from . import clock

CACHE_SECONDS = 30.0
ONE_DAY = timedelta(days=1)
# The years a calendar is loaded for, and that yearly work and the pages' year filters take.
YEARS = range(2000, 2101)


def is_year(value) -> bool:
    """Whether `value` is one of YEARS as a whole number (2026.0 and True are not years)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in YEARS


# Sent after the calendar changed, with years=[int, ...] and region=None (a national year was loaded)
# or the region code (a regional holiday was added or removed). Receivers run inside the transaction
# that changed the calendar and already see the new calendar.
calendar_changed = Signal()


class DueDate(str):
    """The end of a period as an ISO-8601 UTC timestamp, e.g. '2027-01-15T16:00:00+00:00'.

    A plain str for JSON, SpiffWorkflow timers and task data; pickling and copying give the bare
    string. `at` is the aware UTC datetime, `last_day` the China date the period ends on, and
    `provisional` tells whether the counting went through a year the calendar does not cover.
    """

    def __new__(cls, last_day: date, provisional: bool):
        at = datetime.combine(last_day + ONE_DAY, time.min, clock.CHINA).astimezone(timezone.utc)
        self = super().__new__(cls, at.isoformat())
        self.at = at
        self.last_day = last_day
        self.provisional = provisional
        return self

    def __reduce__(self):
        return (str, (str(self),))

    def __repr__(self):
        return f"DueDate({str.__repr__(self)}, provisional={self.provisional})"


class _View:
    """The calendar as read at one moment."""

    def __init__(self, exceptions, covered, regional, names=None):
        self.exceptions = exceptions  # date -> is_workday, for covered years only
        self.covered = covered  # frozenset of years
        self.regional = regional  # region -> frozenset of rest days
        self.names = names or {}  # date or (region, date) -> the holiday's name
        self.read_at = monotonic()
        # For counting without walking the days: the days that differ from Monday to Friday, and a
        # region's rest days that would otherwise be worked, each with the running total of the difference.
        self._national = _running_totals((day, int(works) - (day.weekday() < 5))
                                         for day, works in exceptions.items())
        self._regional = {}

    def workdays_up_to(self, day, region):
        """The working days from 0001-01-01 up to `day`: a difference of two is a count of working days."""
        weeks, rest = divmod(day.toordinal(), 7)  # ordinal 1 is a Monday
        count = weeks * 5 + min(rest, 5) + _total_up_to(self._national, day)
        if region and region in self.regional:
            if region not in self._regional:
                self._regional[region] = _running_totals(
                    (day, -1) for day in self.regional[region] if self.exceptions.get(day, day.weekday() < 5))
            count += _total_up_to(self._regional[region], day)
        return count

    def is_workday(self, day, region):
        if region and day in self.regional.get(region, ()):
            return False
        exception = self.exceptions.get(day)
        return day.weekday() < 5 if exception is None else exception

    def next_workday(self, day, region):
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_workday(day, region):
            day += ONE_DAY
        return day

    def uncovered_between(self, first_year, last_year):
        return any(year not in self.covered for year in range(first_year, last_year + 1))


def _running_totals(changes):
    """([days in order], [the sum of the changes up to each day]) of (day, change) pairs."""
    days, totals, total = [], [], 0
    for day, change in sorted(changes):
        if change:
            total += change
            days.append(day)
            totals.append(total)
    return days, totals


def _total_up_to(running, day):
    days, totals = running
    found = bisect_right(days, day)
    return totals[found - 1] if found else 0


_lock = threading.Lock()
_cache = {"view": None, "generation": 0}


def _read():
    from .models import CalendarDay, CalendarYear, RegionalHoliday

    covered = frozenset(CalendarYear.objects.values_list("year", flat=True))
    exceptions, names = {}, {}
    for day, is_workday, name in CalendarDay.objects.values_list("date", "is_workday", "name"):
        if day.year in covered:
            exceptions[day], names[day] = is_workday, name
    regional = {}
    for region, day, name in RegionalHoliday.objects.values_list("region", "date", "name"):
        regional.setdefault(region, set()).add(day)
        names[(region, day)] = name
    return _View(exceptions, covered, {region: frozenset(days) for region, days in regional.items()}, names)


def _view():
    view = _cache["view"]
    if view is not None and monotonic() - view.read_at < CACHE_SECONDS:
        return view
    generation = _cache["generation"]
    view = _read()
    with _lock:
        # An invalidate() while reading means the rows read may be old: use them once, do not keep them.
        if _cache["generation"] == generation:
            _cache["view"] = view
    return view


def invalidate():
    """Forget the in-memory calendar of this process; the next lookup reads the tables again."""
    with _lock:
        _cache["generation"] += 1
        _cache["view"] = None


def day_of(value) -> date:
    """The China date of a date, an aware or naive (China time) datetime, or an ISO string of either.

    00:00 China time belongs to the day before: it is that day's 24:00 (see the module doc).
    """
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"not an ISO date or date-time: {value!r}") from None
    if isinstance(value, datetime):
        local = value.replace(tzinfo=clock.CHINA) if value.tzinfo is None else value.astimezone(clock.CHINA)
        if local.time() == time.min:
            return local.date() - ONE_DAY
        return local.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, a datetime or an ISO string, got {type(value).__name__}")


# No statutory period comes near this; a count beyond it is a mistake, and counting it would take long.
MAX_DAYS = 36600


def _count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of days must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"the number of days must not be negative, got {n}")
    if n > MAX_DAYS:
        raise ValueError(f"the number of days must be at most {MAX_DAYS} (about a century), got {n}")
    return n


def is_covered(year: int) -> bool:
    """Whether the official holidays and make-up working days of `year` are loaded."""
    return year in _view().covered


def is_provisional_span(start_year: int, end_year: int) -> bool:
    """Whether a period counted from `start_year` to `end_year` went through a year not covered."""
    return _view().uncovered_between(start_year, end_year)


def is_workday(d, region: str | None = None) -> bool:
    """Whether the day is a working day (in `region`, when given); see the module doc for the rules."""
    return _view().is_workday(day_of(d), region)


def workdays_between(start, last, region: str | None = None) -> int:
    """The working days after `start` up to and including `last`; negative, counted from `last` to `start`,
    when `last` comes first. Counted from the calendar's exceptions, not day by day: a year late costs what a
    day does."""
    view, first, last = _view(), day_of(start), day_of(last)
    return view.workdays_up_to(last, region) - view.workdays_up_to(first, region)


def end_of_day(d) -> DueDate:
    """24:00 China time of the day."""
    return DueDate(day_of(d), provisional=False)


def add_workdays(start, n: int, region: str | None = None) -> DueDate:
    """The end of the n-th working day after the start day."""
    n = _count(n)
    first = day_of(start)
    view = _view()
    if n == 0:
        last = view.next_workday(first, region)
    else:
        last = first
        while n:
            last += ONE_DAY
            if view.is_workday(last, region):
                n -= 1
    return DueDate(last, provisional=view.uncovered_between(first.year, last.year))


def add_days(start, n: int, roll_forward: bool = True, region: str | None = None) -> DueDate:
    """The end of the n-th calendar day after the start day, moved to the next working day when that day
    is a rest day and `roll_forward` (民法典 201, 203)."""
    first = day_of(start)
    last = first + timedelta(days=_count(n))
    if not roll_forward:
        return DueDate(last, provisional=False)
    view = _view()
    last = view.next_workday(last, region)
    return DueDate(last, provisional=view.uncovered_between(first.year, last.year))


@dataclass(frozen=True)
class NotedDay:
    """A day that a count of working days treats otherwise than its weekday suggests, or a weekend."""

    day: date
    kind: str  # "weekend" and "holiday" are skipped, "makeup" (调休) is worked, "regional" is a local holiday
    name: str = ""


def noted_days(start, last_day, region: str | None = None) -> list:
    """The days after `start` up to `last_day` that are rest days, or working days on a weekend (调休)."""
    view = _view()
    day, last, noted = day_of(start) + ONE_DAY, day_of(last_day), []
    if (last - day).days > MAX_DAYS:
        raise ValueError(f"a period must be at most {MAX_DAYS} days long")
    while day <= last:
        if region and day in view.regional.get(region, ()):
            noted.append(NotedDay(day, "regional", view.names.get((region, day), "")))
        elif view.exceptions.get(day) is False:
            noted.append(NotedDay(day, "holiday", view.names.get(day, "")))
        elif view.exceptions.get(day) is True and day.weekday() >= 5:
            noted.append(NotedDay(day, "makeup", view.names.get(day, "")))
        elif day not in view.exceptions and day.weekday() >= 5:
            noted.append(NotedDay(day, "weekend"))
        day += ONE_DAY
    return noted


def uncovered_years(first_year: int, last_year: int) -> list:
    """The years from `first_year` to `last_year` whose holiday notice is not loaded."""
    covered = _view().covered
    return [year for year in range(first_year, last_year + 1) if year not in covered]


# The functions BPMN timer and due-date expressions may call.
SCRIPT_FUNCTIONS = {
    "add_workdays": add_workdays,
    "add_days": add_days,
    "end_of_day": end_of_day,
    "is_workday": is_workday,
}
