"""The working-day calendar: counting rules, loading years and regional holidays, the command.

Facts about real years are checked against chinese_calendar in the test itself, so a wrong
assumption about the calendar fails here rather than passing silently.
"""
import copy
import json
import os
import pickle
import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import chinese_calendar as cc
import pytest
from django.conf import settings
from django.core.management import CommandError

from engine import clock, workcalendar
from engine.errors import NotFound
from engine.models import AuditEvent, CalendarDay, CalendarYear, RegionalHoliday
from engine.workcalendar import add_days, add_workdays, end_of_day, is_covered, is_provisional_span, is_workday
from engine.workcalendar_loader import (
    CalendarError,
    add_regional_holiday,
    load_year_from_notice,
    load_year_from_package,
    remove_regional_holiday,
)

from .steps import command_output

pytestmark = pytest.mark.django_db

ONE_DAY = timedelta(days=1)
EXAMPLE = Path(settings.BASE_DIR) / "bpmn" / "calendar" / "2027.example.json"


@pytest.fixture(autouse=True)
def fresh_calendar():
    # The in-memory calendar outlives each test's rolled-back transaction.
    workcalendar.invalidate()
    yield
    workcalendar.invalidate()


@pytest.fixture
def changes():
    """The calendar_changed signals sent during the test, as dicts of their arguments."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append({"sender": sender, "years": kwargs["years"], "region": kwargs["region"]})

    workcalendar.calendar_changed.connect(receiver)
    yield sent
    workcalendar.calendar_changed.disconnect(receiver)


def example():
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def due(day: str) -> str:
    """The due date string for the end of `day`: 24:00 China time is 16:00 UTC of that day."""
    return f"{day}T16:00:00+00:00"


def d(text):
    return date.fromisoformat(text)


def package_add_workdays(start: date, n: int) -> date:
    """The same rule counted with chinese_calendar itself (its find_workday is off by one on rest days)."""
    day = start
    if n == 0:
        while not cc.is_workday(day):
            day += ONE_DAY
        return day
    while n:
        day += ONE_DAY
        if cc.is_workday(day):
            n -= 1
    return day


# --- the seeded years -------------------------------------------------------------------------------

def test_seed_covers_2004_to_2026_and_agrees_with_the_package_on_every_day():
    assert [y for y in range(2000, 2031) if is_covered(y)] == list(range(2004, 2027))
    day = d("2004-01-01")
    while day.year <= 2026:
        assert is_workday(day) == cc.is_workday(day), day
        day += ONE_DAY


def test_counting_agrees_with_the_package_on_random_starts():
    rng = random.Random(20241008)
    first, last = d("2004-01-01").toordinal(), d("2026-10-31").toordinal()
    for _ in range(400):
        start, n = date.fromordinal(rng.randint(first, last)), rng.randint(0, 30)
        result = add_workdays(start, n)
        assert result.last_day == package_add_workdays(start, n), (start, n)
        assert result == due(result.last_day.isoformat())
        assert not result.provisional


def test_working_days_between_two_days_agree_with_counting_them_one_by_one():
    # Across covered and uncovered years, holidays, make-up weekends and a region's holidays (one of them on
    # a make-up Saturday, which the region still rests).
    for day in ("2024-10-12", "2025-02-03", "2026-11-16", "2027-03-03"):
        add_regional_holiday("522600", day, "测试", "alice")
    rng = random.Random(20261207)
    first, last = d("2023-06-01").toordinal(), d("2027-06-30").toordinal()
    for _ in range(300):
        start, end = (date.fromordinal(rng.randint(first, last)) for _ in range(2))
        region = rng.choice((None, "522600", "520100"))
        low, high, sign = (start, end, 1) if start <= end else (end, start, -1)
        counted, day = 0, low
        while day < high:
            day += ONE_DAY
            counted += is_workday(day, region)
        assert workcalendar.workdays_between(start, end, region) == sign * counted, (start, end, region)
    assert workcalendar.workdays_between("2024-09-30", "2024-10-08") == 1  # the National Day week
    assert workcalendar.workdays_between("2024-10-08", "2024-09-30") == -1
    assert workcalendar.workdays_between("2024-10-11", "2024-10-12", "522600") == 0  # worked, but not there


# --- real holidays ----------------------------------------------------------------------------------

def test_national_day_2024_one_working_day_after_30_september_is_8_october():
    assert cc.is_workday(d("2024-09-30"))
    assert not any(cc.is_workday(d(f"2024-10-0{n}")) for n in range(1, 8))
    assert cc.is_workday(d("2024-10-08"))

    result = add_workdays("2024-09-30", 1)
    assert result == "2024-10-08T16:00:00+00:00"
    assert result.last_day == d("2024-10-08")
    assert result.provisional is False


def test_saturday_12_october_2024_was_a_make_up_working_day():
    saturday = d("2024-10-12")
    assert saturday.weekday() == 5 and cc.is_workday(saturday)
    assert is_workday(saturday)
    assert not is_workday(d("2024-10-13"))
    assert add_workdays("2024-10-11", 1) == due("2024-10-12")
    assert add_workdays("2024-10-11", 2) == due("2024-10-14")
    # Sunday 29 September 2024 was one too.
    assert cc.is_workday(d("2024-09-29"))
    assert add_workdays("2024-09-27", 1) == due("2024-09-29")


def test_spring_festival_2025():
    assert not any(cc.is_workday(d("2025-01-28") + n * ONE_DAY) for n in range(8))  # 28 Jan – 4 Feb
    assert cc.is_workday(d("2025-01-26")) and cc.is_workday(d("2025-02-08"))  # Sunday, Saturday

    assert add_workdays("2025-01-27", 1) == due("2025-02-05")
    assert add_workdays("2025-01-24", 1) == due("2025-01-26")
    # 26 Jan, 27 Jan, then 5, 6, 7 Feb
    assert add_workdays("2025-01-24", 5) == due("2025-02-07")
    assert add_workdays("2025-02-07", 1) == due("2025-02-08")


# --- the counting rules -----------------------------------------------------------------------------

def test_the_start_day_is_not_counted():
    assert add_workdays("2024-09-02", 1) == due("2024-09-03")  # Monday -> Tuesday
    assert add_workdays("2024-09-06", 1) == due("2024-09-09")  # Friday -> Monday
    # From a Saturday the first working day is Monday (chinese_calendar.find_workday says Tuesday).
    assert add_workdays("2024-09-07", 1) == due("2024-09-09")
    assert add_workdays("2024-09-02", 5) == due("2024-09-09")


def test_zero_working_days_is_the_start_day_or_the_next_working_day():
    assert add_workdays("2024-09-30", 0) == due("2024-09-30")
    assert add_workdays("2024-10-01", 0) == due("2024-10-08")
    assert add_workdays("2024-10-12", 0) == due("2024-10-12")
    assert add_workdays("2024-10-01", 0) == add_days("2024-10-01", 0)


def test_add_days_rolls_a_rest_day_forward_to_the_next_working_day():
    assert not cc.is_workday(d("2024-10-02"))
    assert add_days("2024-09-25", 7) == due("2024-10-08")
    assert add_days("2024-09-25", 7, roll_forward=False) == due("2024-10-02")
    # Ends on the make-up Saturday: no roll.
    assert add_days("2024-10-05", 7) == due("2024-10-12")
    # Ends on an ordinary Saturday.
    assert add_days("2024-11-01", 1) == due("2024-11-04")
    # 30 days from the award notice (政府采购法 46)
    assert add_days("2024-09-01", 30) == due("2024-10-08")


def test_end_of_day_is_16_00_utc_and_a_plain_string():
    result = end_of_day(d("2024-10-08"))
    assert result == "2024-10-08T16:00:00+00:00"
    assert result.at == datetime(2024, 10, 8, 16, 0, tzinfo=timezone.utc)
    assert result.at.astimezone(clock.CHINA) == datetime(2024, 10, 9, 0, 0, tzinfo=clock.CHINA)
    assert datetime.fromisoformat(result) == result.at
    assert isinstance(result, str)
    assert json.dumps({"due": result}) == '{"due": "2024-10-08T16:00:00+00:00"}'
    for copied in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert type(copied) is str and copied == result
    assert end_of_day(d("2027-03-01")).provisional is False  # no calendar involved


def test_start_as_datetime_or_iso_string():
    # 20:00 UTC on Friday 11 October 2024 is 04:00 on Saturday 12 October in China.
    aware = datetime(2024, 10, 11, 20, 0, tzinfo=timezone.utc)
    assert add_workdays(aware, 1) == due("2024-10-14")
    assert add_workdays("2024-10-11T20:00:00Z", 1) == due("2024-10-14")
    # Naive means China time: still Friday.
    assert add_workdays(datetime(2024, 10, 11, 20, 0), 1) == due("2024-10-12")
    assert add_workdays("2024-10-11T20:00:00", 1) == due("2024-10-12")
    assert add_workdays(d("2024-10-11"), 1) == due("2024-10-12")


def test_a_due_date_starts_the_next_period_from_its_own_day():
    first = add_workdays("2024-09-27", 1)
    assert first == due("2024-09-29")
    assert add_workdays(first, 1) == due("2024-09-30")
    assert add_workdays(str(first), 1) == due("2024-09-30")  # also after a trip through JSON
    assert end_of_day(first) == first
    assert is_workday(first)  # Sunday 29 September 2024, a make-up working day


@pytest.mark.parametrize("start, n, error", [
    ("30/09/2024", 1, ValueError),
    ("2024-09-31", 1, ValueError),
    (20240930, 1, TypeError),
    ("2024-09-30", -1, ValueError),
    ("2024-09-30", 1.0, TypeError),
    ("2024-09-30", True, TypeError),
])
def test_bad_arguments_are_refused(start, n, error):
    with pytest.raises(error):
        add_workdays(start, n)


def test_script_functions_give_strings_spiffworkflow_timers_read():
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    assert set(workcalendar.SCRIPT_FUNCTIONS) == {"add_workdays", "add_days", "end_of_day", "is_workday"}
    value = eval("add_workdays(signed, 15)", dict(workcalendar.SCRIPT_FUNCTIONS, signed="2024-09-20"))
    assert value == due(package_add_workdays(d("2024-09-20"), 15).isoformat())
    assert TimerEventDefinition.get_datetime(value) == value.at


# --- a year not covered, and its notice ---------------------------------------------------------------

def test_2027_is_provisional_until_its_notice_is_loaded(changes):
    with pytest.raises(NotImplementedError):
        cc.is_workday(d("2027-01-01"))
    assert not is_covered(2027)
    before = add_workdays("2027-02-04", 1)
    assert before == due("2027-02-05") and before.provisional
    # Counted from 2026 into 2027: provisional; within 2026: not.
    assert add_workdays("2026-12-30", 5) == due("2027-01-06")
    assert add_workdays("2026-12-30", 5).provisional
    assert not add_workdays("2026-06-01", 5).provisional
    assert add_days("2026-12-20", 20).provisional
    assert not add_days("2026-12-20", 20, roll_forward=False).provisional
    assert is_provisional_span(2026, 2027) and not is_provisional_span(2025, 2026)

    notice = example()
    assert "EXAMPLE" in notice["source"]
    load_year_from_notice(notice, "alice")

    assert changes == [{"sender": CalendarYear, "years": [2027], "region": None}]
    assert is_covered(2027) and not is_provisional_span(2026, 2027) and is_provisional_span(2026, 2028)
    after = add_workdays("2027-02-04", 1)
    # 5–13 February are holidays in the example, Sunday 14 February a make-up working day.
    assert after == due("2027-02-14") and not after.provisional
    assert add_workdays("2027-02-14", 1) == due("2027-02-15")
    # 31 Dec, then 1 January is a holiday: 4, 5, 6, 7 January.
    assert add_workdays("2026-12-30", 5) == due("2027-01-07")
    assert not add_workdays("2026-12-30", 5).provisional
    loaded = CalendarYear.objects.get(year=2027)
    assert (loaded.source, loaded.loaded_by) == (notice["source"], "alice")
    assert AuditEvent.objects.filter(action="calendar.load", data__year=2027).count() == 1


def test_a_notice_stores_only_what_differs_from_monday_to_friday():
    notice = example()
    load_year_from_notice(notice, "alice")
    stored = {day.date: (day.is_workday, day.name) for day in CalendarDay.objects.filter(date__year=2027)}
    expected = {}
    for entry in notice["holidays"]:
        expected.update({d(x): (False, entry["name"]) for x in entry["dates"] if d(x).weekday() < 5})
    for entry in notice["workdays"]:
        expected.update({d(x): (True, entry["name"]) for x in entry["dates"]})
    assert stored == expected
    assert stored[d("2027-02-05")] == (False, "春节")
    assert d("2027-02-06") not in stored  # a Saturday in the Spring Festival holiday
    assert stored[d("2027-02-14")] == (True, "春节调休")


def test_loading_a_notice_again_replaces_the_year():
    load_year_from_notice(example(), "alice")
    corrected = example()
    corrected["holidays"] = [{"name": "元旦", "dates": ["2027-01-01"]}]
    corrected["workdays"] = []
    load_year_from_notice(corrected, "bob")
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [d("2027-01-01")]
    assert add_workdays("2027-02-04", 1) == due("2027-02-05")
    assert CalendarYear.objects.get(year=2027).loaded_by == "bob"


def test_a_receiver_that_fails_undoes_the_load():
    def broken(sender, **kwargs):
        assert is_covered(2027)  # receivers already see the new calendar
        raise RuntimeError("recompute failed")

    workcalendar.calendar_changed.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            load_year_from_notice(example(), "alice")
    finally:
        workcalendar.calendar_changed.disconnect(broken)
    assert not is_covered(2027)
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def _with(change):
    notice = example()
    change(notice)
    return notice


@pytest.mark.parametrize("change, message", [
    (lambda n: n["holidays"][0]["dates"].append("2026-12-31"), "holidays[0] (元旦): 2026-12-31 is not in 2027"),
    (lambda n: n["workdays"][0]["dates"].append("2027-02-06"),
     "workdays[0] (春节调休): 2027-02-06 is both a holiday and a make-up working day (also in holidays[1] (春节))"),
    (lambda n: n["workdays"][1].update(dates=["2027-05-07"]),
     "workdays[1] (劳动节调休): 2027-05-07 is a Friday; a make-up working day (调休) is a Saturday or a Sunday"),
    (lambda n: n["holidays"][1]["dates"].append("2027-02-30"),
     "holidays[1] (春节): '2027-02-30' is not a date written YYYY-MM-DD"),
    (lambda n: n["holidays"][2]["dates"].append("2027-02-05"),
     "holidays[2] (清明节): 2027-02-05 is listed twice (also in holidays[1] (春节))"),
    (lambda n: n["holidays"][3].pop("name"), "holidays[3]: a name such as 春节 is missing"),
    (lambda n: n["holidays"][4].update(date="2027-06-09"), "holidays[4] (端午节): unknown key 'date'"),
    (lambda n: n["holidays"][5].update(dates=[]), "holidays[5] (中秋节): dates must be a non-empty list"),
    (lambda n: n.update(year="2027"), "year: expected the notice's year as a number such as 2027, got '2027'"),
    (lambda n: n.update(source=" "), "source: name the notice"),
    (lambda n: n.update(holiday=[]), "unknown key 'holiday'"),
    (lambda n: n.update(holidays=[]), "holidays: a notice lists at least one holiday"),
])
def test_notice_validation_names_the_wrong_entry(change, message):
    with pytest.raises(CalendarError) as raised:
        load_year_from_notice(_with(change), "alice")
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value.problems
    assert not is_covered(2027)


def test_notice_validation_reports_every_problem_at_once():
    def two_mistakes(notice):
        notice["holidays"][0]["dates"].append("2028-01-01")
        notice["workdays"][2]["dates"].append("2027-10-08")

    with pytest.raises(CalendarError) as raised:
        load_year_from_notice(_with(two_mistakes), "alice")
    assert raised.value.problems == [
        "holidays[0] (元旦): 2028-01-01 is not in 2027",
        "workdays[2] (国庆节调休): 2027-10-08 is a Friday; a make-up working day (调休) is a Saturday or a Sunday",
    ]


def test_a_failed_notice_leaves_the_loaded_year_alone():
    load_year_from_notice(example(), "alice")
    with pytest.raises(CalendarError):
        load_year_from_notice(_with(lambda n: n["holidays"][0]["dates"].append("2026-12-31")), "bob")
    assert CalendarYear.objects.get(year=2027).loaded_by == "alice"
    assert add_workdays("2027-02-04", 1) == due("2027-02-14")


# --- the package ----------------------------------------------------------------------------------------

def test_load_from_package_stores_the_exceptions_of_the_year():
    CalendarDay.objects.filter(date__year=2024).delete()
    CalendarYear.objects.filter(year=2024).delete()
    load_year_from_package(2024, "alice")

    days = [d("2024-01-01") + n * ONE_DAY for n in range(366)]
    expected = {day for day in days if cc.is_workday(day) != (day.weekday() < 5)}
    stored = {day.date: day for day in CalendarDay.objects.filter(date__year=2024)}
    assert set(stored) == expected
    assert (stored[d("2024-10-01")].is_workday, stored[d("2024-10-01")].name) == (False, "国庆节")
    assert (stored[d("2024-10-12")].is_workday, stored[d("2024-10-12")].name) == (True, "国庆节调休")
    assert (stored[d("2024-02-12")].name, stored[d("2024-02-04")].name) == ("春节", "春节调休")
    assert CalendarYear.objects.get(year=2024).loaded_by == "alice"
    assert add_workdays("2024-09-30", 1) == due("2024-10-08")


def test_load_from_package_refuses_a_year_it_does_not_know():
    with pytest.raises(CalendarError) as raised:
        load_year_from_package(2027, "alice")
    assert "2004–2026 only, not 2027" in str(raised.value)
    assert "--file" in str(raised.value)
    assert not is_covered(2027)


# --- regional holidays ----------------------------------------------------------------------------------

def test_a_regional_holiday_is_a_rest_day_in_its_region_only(changes):
    monday = d("2026-11-16")
    assert cc.is_workday(monday) and cc.is_workday(d("2026-11-17"))
    holiday, created = add_regional_holiday("522600", monday, "苗年（测试）", "alice")
    assert created and holiday.name == "苗年（测试）"
    assert changes == [{"sender": RegionalHoliday, "years": [2026], "region": "522600"}]

    assert not is_workday(monday, region="522600")
    assert is_workday(monday) and is_workday(monday, region="520100")
    assert add_workdays("2026-11-13", 1, region="522600") == due("2026-11-17")
    assert add_workdays("2026-11-13", 1) == due("2026-11-16")
    assert add_days("2026-11-15", 1, region="522600") == due("2026-11-17")

    # Even on a make-up working Saturday.
    add_regional_holiday("522600", "2024-10-12", "测试", "alice")
    assert not is_workday("2024-10-12", region="522600") and is_workday("2024-10-12")

    remove_regional_holiday("522600", "2026-11-16", "alice")
    assert is_workday(monday, region="522600")
    with pytest.raises(NotFound):
        remove_regional_holiday("522600", "2026-11-16", "alice")


def test_adding_a_regional_holiday_again_renames_it():
    add_regional_holiday("522600", "2026-11-16", "苗年", "alice")
    holiday, created = add_regional_holiday("522600", "2026-11-16", "苗年（第一天）", "alice")
    assert not created
    assert list(RegionalHoliday.objects.values_list("name", flat=True)) == ["苗年（第一天）"]


@pytest.mark.parametrize("region, day, name, message", [
    ("", "2026-11-16", "苗年", "region:"),
    ("52 26", "2026-11-16", "苗年", "region:"),
    ("522600", "2026-11-31", "苗年", "date:"),
    ("522600", "2026-11-16", " ", "name:"),
])
def test_regional_holiday_validation(region, day, name, message):
    with pytest.raises(CalendarError) as raised:
        add_regional_holiday(region, day, name, "alice")
    assert str(raised.value).startswith(message)


# --- the in-memory calendar -----------------------------------------------------------------------------

def test_counting_makes_no_query_per_day(django_assert_num_queries):
    is_workday("2024-01-01")
    with django_assert_num_queries(0):
        assert add_workdays("2024-01-01", 250).last_day == package_add_workdays(d("2024-01-01"), 250)
        is_workday("2025-01-28", region="522600")


def test_rows_written_elsewhere_are_seen_after_invalidate_or_30_seconds(monkeypatch):
    assert not is_covered(2030)
    CalendarYear.objects.create(year=2030, source="test", loaded_at=clock.now(), loaded_by="test")
    assert not is_covered(2030)  # cached
    workcalendar.invalidate()
    assert is_covered(2030)

    CalendarYear.objects.create(year=2031, source="test", loaded_at=clock.now(), loaded_by="test")
    assert not is_covered(2031)
    real = workcalendar.monotonic
    monkeypatch.setattr(workcalendar, "monotonic", lambda: real() + workcalendar.CACHE_SECONDS + 1)
    assert is_covered(2031)


def test_a_calendar_read_while_it_was_invalidated_is_not_kept(monkeypatch):
    read = workcalendar._read

    def read_during_a_load():
        view = read()
        workcalendar.invalidate()  # another thread loads a year meanwhile
        return view

    monkeypatch.setattr(workcalendar, "_read", read_during_a_load)
    is_workday("2024-10-12")
    monkeypatch.setattr(workcalendar, "_read", read)
    CalendarYear.objects.create(year=2030, source="test", loaded_at=clock.now(), loaded_by="test")
    assert is_covered(2030)


def test_every_year_of_the_span_counts_for_provisional():
    CalendarYear.objects.create(year=2028, source="test", loaded_at=clock.now(), loaded_by="test")
    workcalendar.invalidate()
    assert is_provisional_span(2026, 2028) and not is_provisional_span(2028, 2028)
    assert add_days("2026-12-01", 400).provisional  # lands in 2028, through 2027
    assert add_workdays("2003-12-31", 1).provisional  # 2003 is before the package's data


# --- the command ----------------------------------------------------------------------------------------

run = partial(command_output, "workcalendar")


def test_command_status():
    clock.set_time(datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc))
    text = run("status")
    assert "2004–2026  来源：chinese_calendar" in text
    assert "2027 年尚未载入" in text
    data = json.loads(run("status", "--json"))
    assert [y["year"] for y in data["years"]] == list(range(2004, 2027))
    assert data["not_loaded_soon"] == [2027]


def test_command_show():
    text = run("show", "2024")
    assert "国庆节：10-01 周二、10-02 周三、10-03 周四、10-04 周五、10-07 周一" in text
    assert "国庆节调休：09-29 周日、10-12 周六" in text
    data = json.loads(run("show", "2024", "--json"))
    assert data["workday_count"] == sum(cc.is_workday(d("2024-01-01") + n * ONE_DAY) for n in range(366))
    assert {"date": "2024-10-12", "name": "国庆节调休"} in data["workdays"]
    assert "2027 年尚未载入" in run("show", "2027")


def test_command_check_and_add_workdays():
    assert run("check", "2024-10-12") == "2024-10-12 周六：工作日（调休上班：国庆节调休）\n"
    assert run("check", "2024-10-01") == "2024-10-01 周二：休息日（放假：国庆节）\n"
    data = json.loads(run("check", "2027-02-08", "--json"))
    assert (data["is_workday"], data["provisional"]) == (True, True)

    text = run("add-workdays", "2024-09-30", "1")
    assert "2024-10-08 周二 24:00（北京时间）" in text and "2024-10-08T16:00:00+00:00" in text
    data = json.loads(run("add-workdays", "2026-12-30", "5", "--json"))
    assert data == {"start": "2026-12-30", "n": 5, "region": None, "due": due("2027-01-06"),
                    "last_day": "2027-01-06", "provisional": True}


def test_command_load_and_regional(changes):
    assert "已载入 2027 年" in run("load", "2027", "--file", str(EXAMPLE), "--by", "alice")
    assert CalendarYear.objects.get(year=2027).loaded_by == "alice"
    assert run("check", "2027-02-14").startswith("2027-02-14 周日：工作日（调休上班：春节调休）")
    assert "已载入 2024 年" in run("load", "2024")

    assert "已登记地方性假日：522600 2026-11-16 周一 苗年" in run("regional", "add", "522600", "2026-11-16", "苗年")
    assert "休息日（522600 地方性假日：苗年）" in run("check", "2026-11-16", "--region", "522600")
    assert "已撤销" in run("regional", "remove", "522600", "2026-11-16")
    assert [c["years"] for c in changes] == [[2027], [2024], [2026], [2026]]


def test_command_errors(tmp_path):
    wrong_year = tmp_path / "2028.json"
    wrong_year.write_text(json.dumps(example()), encoding="utf-8")
    not_json = tmp_path / "bad.json"
    not_json.write_text("{", encoding="utf-8")
    a_list = tmp_path / "list.json"
    a_list.write_text("[]", encoding="utf-8")
    for args, message in [
        (("load", "2027"), "has data for 2004–2026 only"),
        (("load", "2028", "--file", str(wrong_year)), "is the notice for 2027, not 2028"),
        (("load", "2027", "--file", str(not_json)), "is not valid JSON"),
        (("load", "2027", "--file", str(a_list)), "the notice must be a JSON object"),
        (("load", "2027", "--file", str(tmp_path / "missing.json")), "cannot read"),
        (("load", "27"), "not a year"),
        (("check", "2024-13-01"), "not a date"),
        (("add-workdays", "2024-09-30", "-1"), "N must be a whole number"),
        (("add-workdays", "tomorrow", "1"), "not an ISO date"),
        (("regional", "remove", "522600", "2026-11-16"), "no regional holiday"),
    ]:
        with pytest.raises(CommandError, match=message):
            run(*args)


def test_command_exit_codes(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["VAR_DIR"] = str(tmp_path)

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=120)

    not_migrated = manage("workcalendar", "check", "2024-10-12")
    assert not_migrated.returncode == 1 and "migrate" in not_migrated.stderr
    assert manage("migrate", "-v0").returncode == 0

    ok = manage("workcalendar", "check", "2024-10-12")
    assert (ok.returncode, ok.stdout) == (0, "2024-10-12 周六：工作日（调休上班：国庆节调休）\n")
    for args in (("load", "2027"), ("check", "someday"), ("add-workdays", "2024-09-30", "x"),
                 ("add-workdays", "2026-01-01", "100000000")):
        failed = manage("workcalendar", *args)
        assert failed.returncode == 1, args
        assert failed.stderr.startswith("CommandError: ") and "Traceback" not in failed.stderr
    assert "at most 36600" in manage("workcalendar", "add-workdays", "2026-01-01", "100000000").stderr
    loaded = manage("workcalendar", "load", "2027", "--file", str(EXAMPLE))
    assert loaded.returncode == 0 and "已载入 2027 年" in loaded.stdout


@pytest.mark.parametrize("value", [2000, 2026, 2100])
def test_a_year_is_a_whole_number_the_calendar_takes(value):
    assert workcalendar.is_year(value)


@pytest.mark.parametrize("value", [1999, 2101, 2026.0, True, "2026", None])
def test_what_is_not_a_year(value):
    assert not workcalendar.is_year(value)
