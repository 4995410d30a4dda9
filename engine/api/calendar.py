"""The working-day calendar that every deadline counts on (the rules are in engine/workcalendar.py)."""
from ..workcalendar import (YEARS, DueDate, add_days, add_workdays, day_of, end_of_day, is_covered,
                            is_provisional_span, is_workday, is_year, workdays_between)
from ..workcalendar_loader import (CalendarError, add_regional_holiday, load_year_from_notice,
                                   load_year_from_package, package_years, remove_regional_holiday)

__all__ = [
    "YEARS", "CalendarError", "DueDate", "add_days", "add_regional_holiday", "add_workdays", "day_of",
    "end_of_day", "is_covered", "is_provisional_span", "is_workday", "is_year", "load_year_from_notice",
    "load_year_from_package", "package_years", "remove_regional_holiday", "workdays_between",
]
