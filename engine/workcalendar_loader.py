"""Loading the working-day calendar: a year from the chinese_calendar package or from the State Council's
notice, and the holidays of single regions.

Only exceptions to the Monday-to-Friday rule are stored: holidays on weekdays and make-up working
weekends (调休). Every change replaces its rows in one transaction, forgets the in-memory calendar and
sends workcalendar.calendar_changed inside that transaction, so receivers recompute with the new rows
and a failing receiver undoes the load.

A notice is a JSON document:

    {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知",
     "holidays": [{"name": "春节", "dates": ["2027-02-05", ...]}, ...],
     "workdays": [{"name": "春节调休", "dates": ["2027-02-14"]}, ...]}
"""
import re
from contextlib import contextmanager
from datetime import date

import chinese_calendar
from django.db import transaction

from . import audit, clock
from .errors import EngineError, NotFound
from .models import CalendarDay, CalendarYear, RegionalHoliday
from .workcalendar import ONE_DAY, calendar_changed, invalidate, is_year

PACKAGE_SOURCE = f"chinese_calendar {chinese_calendar.__version__}"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOTICE_KEYS = ("year", "source", "holidays", "workdays")
_ENTRY_KEYS = ("name", "dates")
_SOURCE_LIMIT = CalendarYear._meta.get_field("source").max_length
_NAME_LIMIT = CalendarDay._meta.get_field("name").max_length
_REGION_LIMIT = RegionalHoliday._meta.get_field("region").max_length
_REGIONAL_NAME_LIMIT = RegionalHoliday._meta.get_field("name").max_length


class CalendarError(EngineError):
    """A calendar change was refused; `problems` lists every wrong entry."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def package_years() -> range:
    """The years chinese_calendar has official data for."""
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def load_year_from_package(year: int, actor) -> CalendarYear:
    """Store the holidays and make-up working days chinese_calendar has for `year`."""
    years = package_years()
    if year not in years:
        raise CalendarError([
            f"{PACKAGE_SOURCE} has data for {years[0]}–{years[-1]} only, not {year}; "
            f"load {year} from the State Council's notice instead (workcalendar load {year} --file NOTICE.json)"
        ])
    days = {}
    day = date(year, 1, 1)
    while day.year == year:
        works = chinese_calendar.is_workday(day)
        if works != (day.weekday() < 5):
            _, name = chinese_calendar.get_holiday_detail(day)
            days[day] = (works, _chinese_name(name) + ("调休" if works else ""))
        day += ONE_DAY
    return _replace_year(year, PACKAGE_SOURCE, days, actor)


def _chinese_name(english):
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


def load_year_from_notice(data: dict, actor) -> CalendarYear:
    """Validate a notice document and store its year, replacing what was stored for that year."""
    year, source, days = _read_notice(data)
    return _replace_year(year, source, days, actor)


def _read_notice(data):
    """(year, source, {date: (is_workday, name)}) of a valid notice; CalendarError listing every problem."""
    if not isinstance(data, dict):
        raise CalendarError(["the notice must be a JSON object with year, source, holidays and workdays"])
    problems = []
    unknown = [key for key in data if key not in _NOTICE_KEYS]
    if unknown:
        problems.append(f"unknown key {', '.join(map(repr, unknown))}: a notice has {', '.join(_NOTICE_KEYS)}")
    year = data.get("year")
    if not is_year(year):
        # Without the year no date can be checked.
        raise CalendarError(problems + [f"year: expected the notice's year as a number such as 2027, got {year!r}"])
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("source: name the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知")
    elif len(source) > _SOURCE_LIMIT:
        problems.append(f"source: at most {_SOURCE_LIMIT} characters")

    days = {}
    listed = {}  # date -> (entry label, is_workday), to find dates listed twice
    for key, works in (("holidays", False), ("workdays", True)):
        entries = data.get(key, [] if works else None)
        if not isinstance(entries, list):
            problems.append(f'{key}: expected a list of {{"name": ..., "dates": [...]}}')
            continue
        if not works and not entries:
            problems.append("holidays: a notice lists at least one holiday")
        for index, entry in enumerate(entries):
            label = f"{key}[{index}]"
            if not isinstance(entry, dict):
                problems.append(f'{label}: expected {{"name": ..., "dates": [...]}}, got {entry!r}')
                continue
            name = entry.get("name")
            if isinstance(name, str) and name.strip():
                name = name.strip()
                label += f" ({name})"
                if len(name) > _NAME_LIMIT:
                    problems.append(f"{label}: the name is longer than {_NAME_LIMIT} characters")
            else:
                problems.append(f"{label}: a name such as 春节 is missing")
            unknown = [k for k in entry if k not in _ENTRY_KEYS]
            if unknown:
                problems.append(f"{label}: unknown key {', '.join(map(repr, unknown))}; an entry has name and dates")
            dates = entry.get("dates")
            if not isinstance(dates, list) or not dates:
                problems.append(f'{label}: dates must be a non-empty list such as ["{year}-01-01"]')
                continue
            for value in dates:
                try:
                    day = _parse_date(value)
                except ValueError as error:
                    problems.append(f"{label}: {error}")
                    continue
                if day.year != year:
                    problems.append(f"{label}: {day} is not in {year}")
                    continue
                if day in listed:
                    other, other_works = listed[day]
                    if other_works == works:
                        problems.append(f"{label}: {day} is listed twice (also in {other})")
                    else:
                        problems.append(f"{label}: {day} is both a holiday and a make-up working day (also in {other})")
                    continue
                listed[day] = (label, works)
                weekend = day.weekday() >= 5
                if works and not weekend:
                    problems.append(
                        f"{label}: {day} is a {WEEKDAYS[day.weekday()]}; "
                        "a make-up working day (调休) is a Saturday or a Sunday"
                    )
                elif works or not weekend:
                    # A holiday on a weekend changes nothing and is not stored.
                    days[day] = (works, name)
    if problems:
        raise CalendarError(problems)
    return year, source.strip(), days


def _parse_date(value) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")


@contextmanager
def _changing(sender, years, region):
    """Run a change of the calendar in a transaction and tell the receivers of calendar_changed."""
    try:
        with transaction.atomic():
            yield
            invalidate()
            calendar_changed.send(sender=sender, years=years, region=region)
    except BaseException:
        invalidate()  # this process may have read the rows that were just rolled back
        raise
    # Another thread may have read the old rows while this transaction was open.
    transaction.on_commit(invalidate)


def _replace_year(year, source, days, actor):
    with _changing(CalendarYear, [year], None):
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(date=day, is_workday=works, name=name) for day, (works, name) in sorted(days.items())
        )
        calendar_year, _ = CalendarYear.objects.update_or_create(
            year=year,
            defaults={"source": source, "loaded_at": clock.now(), "loaded_by": _actor(actor)},
        )
        audit.record("calendar.load", record=calendar_year, actor=actor,
                     data={"year": year, "source": source, "exceptions": len(days)})
    return calendar_year


def _actor(actor):
    return audit.actor_name(actor) if actor is not None else audit.current_actor()


def _region(region):
    if not isinstance(region, str) or len(region) > _REGION_LIMIT or region.split() != [region]:
        raise CalendarError([f"region: expected an administrative division code such as 522600, got {region!r}"])
    return region


def add_regional_holiday(region: str, day, name: str, actor=None) -> tuple[RegionalHoliday, bool]:
    """Declare `day` (a date or YYYY-MM-DD) a rest day in `region`; (holiday, created), renaming one that exists."""
    region = _region(region)
    try:
        day = _parse_date(day)
    except ValueError as error:
        raise CalendarError([f"date: {error}"]) from None
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > _REGIONAL_NAME_LIMIT:
        raise CalendarError([f"name: expected the holiday's name, at most {_REGIONAL_NAME_LIMIT} characters, "
                             f"got {name!r}"])
    with _changing(RegionalHoliday, [day.year], region):
        holiday, created = RegionalHoliday.objects.update_or_create(
            region=region, date=day, defaults={"name": name.strip()}
        )
        audit.record("calendar.regional_add", record=holiday, actor=actor,
                     data={"region": region, "date": day.isoformat(), "name": holiday.name})
    return holiday, created


def remove_regional_holiday(region: str, day, actor=None) -> None:
    """Withdraw a regional holiday; NotFound when there is none on that day."""
    region = _region(region)
    try:
        day = _parse_date(day)
    except ValueError as error:
        raise CalendarError([f"date: {error}"]) from None
    holiday = RegionalHoliday.objects.filter(region=region, date=day).first()
    if holiday is None:
        raise NotFound(f"region {region} has no regional holiday on {day}")
    with _changing(RegionalHoliday, [day.year], region):
        holiday.delete()
        audit.record("calendar.regional_remove", actor=actor,
                     data={"region": region, "date": day.isoformat(), "name": holiday.name})
