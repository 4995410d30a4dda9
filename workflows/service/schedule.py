"""When each report of a station's service opens and when it is due.

A report is a dict the station_report process receives as `report`:

    {"kind": "monthly", "period": "2027-03", "title": "2027年3月月度实施报告",
     "opens_after": "2027-03-31",              # the task opens at 24:00 of this day; None: at once
     "counted_from": "2027-03-31", "workdays": 5}   # due: that many working days later
  or {..., "due_on": "2027-12-09"}                  # due: 24:00 of a fixed day

Due times are computed in the diagram by `report_due(report)` so that loading a
year's holiday notice recomputes them like every other working-day deadline.
"""
from datetime import date, timedelta

from django.utils.translation import gettext as _

from engine.errors import InvalidInput
from engine.extensions import script_function
from engine.api import calendar

# Working days the organisation has, counted from the day named in each rule.
SURVEY_WORKDAYS = 20  # after the social workers took up their posts
PLAN_WORKDAYS = 30  # after the social workers took up their posts
MONTHLY_WORKDAYS = 5  # after the month ends
MIDTERM_WORKDAYS = 10  # after the middle day of the term
FINAL_WORKDAYS = 10  # after the term ends
SELF_EVALUATION_LAST_DAY = 9  # 自评报告 before the 10th of the term's last month


@script_function()
def report_due(report):
    """The due time of a report: 24:00 China time of its last day, as the calendar's DueDate."""
    if report.get("due_on"):
        return calendar.end_of_day(report["due_on"])
    return calendar.add_workdays(report["counted_from"], report["workdays"])


def _day(data, key):
    try:
        return date.fromisoformat(data[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput({key: _("「%(key)s」必须是 YYYY-MM-DD 格式的日期") % {"key": key}}) from None


def _month_end(day):
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def opening_reports(placed_on):
    """The needs survey and the service plan, both open as soon as the service reaches them."""
    counted_from = placed_on.isoformat()
    return {
        "survey": {"kind": "survey", "period": "", "title": _("需求调研报告"), "opens_after": None,
                   "counted_from": counted_from, "workdays": SURVEY_WORKDAYS},
        "plan": {"kind": "plan", "period": "", "title": _("服务计划"), "opens_after": None,
                 "counted_from": counted_from, "workdays": PLAN_WORKDAYS},
    }


def term_reports(data):
    """The reports of the service term from the instance data's `term_start` and `term_end`."""
    start, end = _day(data, "term_start"), _day(data, "term_end")
    if end < start:
        raise InvalidInput({"term_end": _("服务期结束日期不能早于开始日期")})
    months, first = [], start.replace(day=1)
    while first <= end:
        period_end = min(_month_end(first), end).isoformat()
        months.append({
            "kind": "monthly", "period": f"{first:%Y-%m}",
            "title": _("%(year)d年%(month)d月月度实施报告") % {"year": first.year, "month": first.month},
            "opens_after": period_end, "counted_from": period_end, "workdays": MONTHLY_WORKDAYS})
        first = _month_end(first) + timedelta(days=1)
    middle = (start + (end - start) // 2).isoformat()
    last_month = end.replace(day=1)
    return {
        "months": months,
        "midterm": {"kind": "midterm", "period": "", "title": _("中期报告"), "opens_after": middle,
                    "counted_from": middle, "workdays": MIDTERM_WORKDAYS},
        "self_evaluation": {"kind": "self_evaluation", "period": "", "title": _("自评报告"),
                            "opens_after": (last_month - timedelta(days=1)).isoformat(),
                            "due_on": last_month.replace(day=SELF_EVALUATION_LAST_DAY).isoformat()},
        "final": {"kind": "final", "period": "", "title": _("终期报告"), "opens_after": end.isoformat(),
                  "counted_from": end.isoformat(), "workdays": FINAL_WORKDAYS},
    }
