"""Seed the working-day calendar with the official years chinese_calendar knows, 2004–2026.

Self-contained on purpose: a migration must keep working when the loader module changes.
Only exceptions to the Monday-to-Friday rule are stored, as engine.workcalendar_loader does.
"""
from datetime import date, timedelta

import chinese_calendar
from django.db import migrations

from engine import clock

YEARS = range(2004, 2027)
LOADED_BY = "migration engine.0002_seed_calendar"


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("engine", "CalendarDay")
    CalendarYear = apps.get_model("engine", "CalendarYear")
    days = []
    day, end = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    while day <= end:
        works = chinese_calendar.is_workday(day)
        if works != (day.weekday() < 5):
            _, english = chinese_calendar.get_holiday_detail(day)
            name = chinese_calendar.Holiday(english).chinese + ("调休" if works else "")
            days.append(CalendarDay(date=day, is_workday=works, name=name))
        day += timedelta(days=1)
    CalendarDay.objects.bulk_create(days, batch_size=500)
    source, now = f"chinese_calendar {chinese_calendar.__version__}", clock.now()
    CalendarYear.objects.bulk_create(
        CalendarYear(year=year, source=source, loaded_at=now, loaded_by=LOADED_BY) for year in YEARS
    )


def unseed(apps, schema_editor):
    # Years loaded again since, from a notice or by hand, stay.
    seeded = apps.get_model("engine", "CalendarYear").objects.filter(year__in=YEARS, loaded_by=LOADED_BY)
    years = list(seeded.values_list("year", flat=True))
    apps.get_model("engine", "CalendarDay").objects.filter(date__year__in=years).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [("engine", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
