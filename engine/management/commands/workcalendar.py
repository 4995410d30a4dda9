"""manage.py workcalendar: load, inspect and use the working-day calendar."""
import getpass
import json
from datetime import date
from itertools import groupby

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from engine import clock, workcalendar
from engine.errors import EngineError
from engine.models import CalendarDay, CalendarYear, RegionalHoliday
from engine.workcalendar_loader import (
    CalendarError,
    add_regional_holiday,
    load_year_from_notice,
    load_year_from_package,
    remove_regional_holiday,
)

WEEKDAYS = "一二三四五六日"
UNCOVERED = "只按周一至周五计算工作日，期限为临时期限"


def weekday(day):
    return f"周{WEEKDAYS[day.weekday()]}"


def local_time(moment):
    return f"{moment.astimezone(clock.CHINA):%Y-%m-%d %H:%M}"


def parse_year(text):
    if not text.isdigit() or int(text) not in workcalendar.YEARS:
        raise CommandError(f"not a year: {text!r} (expected e.g. 2027)")
    return int(text)


def parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def default_actor():
    try:
        return f"{getpass.getuser()} via manage.py"
    except (OSError, KeyError):
        return "manage.py"


class Command(BaseCommand):
    help = "The working-day calendar: official holidays and make-up working days (调休), and regional holidays."
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        load = actions.add_parser("load", help="load a year from chinese_calendar, or from a notice with --file")
        load.add_argument("year", metavar="YEAR")
        load.add_argument("--file", metavar="NOTICE.json", help="the State Council's notice as JSON")
        load.add_argument("--by", default=default_actor(), help="who loads it, for the record")

        show = actions.add_parser("show", help="a year's holidays and make-up working days")
        show.add_argument("year", metavar="YEAR")
        show.add_argument("--json", action="store_true")

        status = actions.add_parser("status", help="which years are loaded")
        status.add_argument("--json", action="store_true")

        regional = actions.add_parser("regional", help="add or remove a regional holiday")
        regional_actions = regional.add_subparsers(dest="regional_action", required=True, metavar="add|remove")
        add = regional_actions.add_parser("add", help="declare a rest day in one region")
        add.add_argument("region", metavar="REGION", help="administrative division code, e.g. 522600")
        add.add_argument("date", metavar="DATE")
        add.add_argument("name", metavar="NAME")
        add.add_argument("--by", default=default_actor())
        remove = regional_actions.add_parser("remove", help="withdraw a regional holiday")
        remove.add_argument("region", metavar="REGION")
        remove.add_argument("date", metavar="DATE")
        remove.add_argument("--by", default=default_actor())

        check = actions.add_parser("check", help="is DATE a working day?")
        check.add_argument("date", metavar="DATE")
        check.add_argument("--region")
        check.add_argument("--json", action="store_true")

        due = actions.add_parser("add-workdays", help="the due date N working days after DATE")
        due.add_argument("date", metavar="DATE", help="YYYY-MM-DD, or an ISO date-time (naive = China time)")
        due.add_argument("n", metavar="N")
        due.add_argument("--region")
        due.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "regional":
            action = f"regional-{options['regional_action']}"
        handler = getattr(self, "do_" + action.replace("-", "_"))
        try:
            handler(options)
        except CalendarError as error:
            if len(error.problems) == 1:
                raise CommandError(error.problems[0]) from None
            problems = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"{len(error.problems)} problems:\n{problems}") from None
        except EngineError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(f"database error: {error}\n(has `manage.py migrate` been run?)") from None

    def emit(self, options, data, lines):
        if options.get("json"):
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n".join(lines))

    def do_load(self, options):
        year = parse_year(options["year"])
        if options["file"]:
            notice = self.read_notice(options["file"])
            if isinstance(notice, dict) and notice.get("year") != year:
                raise CommandError(f"{options['file']} is the notice for {notice.get('year')!r}, not {year}")
            loaded = load_year_from_notice(notice, options["by"])
        else:
            loaded = load_year_from_package(year, options["by"])
        days = CalendarDay.objects.filter(date__year=year)
        rest, work = days.filter(is_workday=False).count(), days.filter(is_workday=True).count()
        self.stdout.write(f"已载入 {year} 年：工作日放假 {rest} 天，调休上班 {work} 天。来源：{loaded.source}")

    def read_notice(self, path):
        try:
            with open(path, encoding="utf-8") as file:
                return json.load(file)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not valid JSON: {error}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text") from None

    def do_status(self, options):
        years = list(CalendarYear.objects.all())
        today = clock.today_in_china()
        covered = {y.year for y in years}
        missing = [year for year in (today.year, today.year + 1) if year not in covered]
        regional = list(RegionalHoliday.objects.all())
        data = {
            "today": today.isoformat(),
            "years": [
                {"year": y.year, "source": y.source, "loaded_at": y.loaded_at.isoformat(), "loaded_by": y.loaded_by}
                for y in years
            ],
            "not_loaded_soon": missing,
            "regional": [{"region": h.region, "date": h.date.isoformat(), "name": h.name} for h in regional],
        }
        lines = ["已载入国务院节假日安排的年份："]
        # One line per load: consecutive years from the same source by the same person.
        runs = []
        for y in years:
            if runs and runs[-1][-1].year == y.year - 1 and (runs[-1][-1].source, runs[-1][-1].loaded_by) == (
                y.source, y.loaded_by
            ):
                runs[-1].append(y)
            else:
                runs.append([y])
        for run in runs:
            first, last = run[0], run[-1]
            span = str(first.year) if first is last else f"{first.year}–{last.year}"
            lines.append(f"  {span}  来源：{last.source}；{local_time(last.loaded_at)} 由 {last.loaded_by} 载入")
        if not years:
            lines.append("  （无）")
        lines.append(f"其他年份{UNCOVERED}。")
        if missing:
            years_text = "、".join(map(str, missing))
            lines.append(
                f"注意：今天是 {today}，{years_text} 年尚未载入；载入：manage.py workcalendar load {missing[0]} --file 通知.json"
            )
        if regional:
            lines.append("地方性假日：")
            for region, holidays in groupby(regional, key=lambda h: h.region):
                lines.append(f"  {region}：" + "、".join(f"{h.date} {h.name}" for h in holidays))
        self.emit(options, data, lines)

    def do_show(self, options):
        year = parse_year(options["year"])
        loaded = CalendarYear.objects.filter(year=year).first()
        days = list(CalendarDay.objects.filter(date__year=year)) if loaded else []
        regional = list(RegionalHoliday.objects.filter(date__year=year))
        data = {
            "year": year,
            "covered": loaded is not None,
            "source": loaded.source if loaded else None,
            "loaded_at": loaded.loaded_at.isoformat() if loaded else None,
            "loaded_by": loaded.loaded_by if loaded else None,
            "holidays": [{"date": d.date.isoformat(), "name": d.name} for d in days if not d.is_workday],
            "workdays": [{"date": d.date.isoformat(), "name": d.name} for d in days if d.is_workday],
            "regional": [{"region": h.region, "date": h.date.isoformat(), "name": h.name} for h in regional],
            "workday_count": sum(
                workcalendar.is_workday(date.fromordinal(n))
                for n in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
            ),
        }
        if loaded:
            lines = [
                f"{year} 年节假日安排",
                f"来源：{loaded.source}（{local_time(loaded.loaded_at)} 由 {loaded.loaded_by} 载入）",
                "放假（只列周一至周五的放假日，周末本来休息）：",
            ]
            lines += self.by_name([d for d in days if not d.is_workday])
            lines.append("调休上班（周末上班）：")
            lines += self.by_name([d for d in days if d.is_workday])
        else:
            lines = [f"{year} 年尚未载入国务院节假日安排：{UNCOVERED}。",
                     f"载入：manage.py workcalendar load {year} --file 通知.json"]
        if regional:
            lines.append("地方性假日（只在该地区休息）：")
            lines += [f"  {h.region}  {h.date:%m-%d} {weekday(h.date)}  {h.name}" for h in regional]
        lines.append(f"全年工作日（不含地方性假日）：{data['workday_count']} 天")
        self.emit(options, data, lines)

    @staticmethod
    def by_name(days):
        """One line per name, in the order of its first day: '  春节：02-12 周一、02-13 周二'."""
        if not days:
            return ["  （无）"]
        names = {}
        for day in days:
            names.setdefault(day.name, []).append(day.date)
        return [f"  {name or '（无名称）'}：" + "、".join(f"{d:%m-%d} {weekday(d)}" for d in dates)
                for name, dates in names.items()]

    def do_regional_add(self, options):
        holiday, created = add_regional_holiday(options["region"], options["date"], options["name"], options["by"])
        verb = "已登记" if created else "已更新"
        self.stdout.write(f"{verb}地方性假日：{holiday.region} {holiday.date} {weekday(holiday.date)} {holiday.name}")

    def do_regional_remove(self, options):
        remove_regional_holiday(options["region"], options["date"], options["by"])
        self.stdout.write(f"已撤销地方性假日：{options['region']} {options['date']}")

    def do_check(self, options):
        day, region = parse_date(options["date"]), options["region"]
        works = workcalendar.is_workday(day, region)
        provisional = not workcalendar.is_covered(day.year)
        regional = RegionalHoliday.objects.filter(region=region, date=day).first() if region else None
        exception = None if provisional else CalendarDay.objects.filter(date=day).first()
        if regional:
            reason = f"{region} 地方性假日：{regional.name}"
        elif exception:
            reason = f"{'调休上班' if exception.is_workday else '放假'}：{exception.name}"
        else:
            reason = "周一至周五" if day.weekday() < 5 else "周末"
        data = {"date": day.isoformat(), "region": region, "is_workday": works, "provisional": provisional,
                "reason": reason}
        line = f"{day} {weekday(day)}：{'工作日' if works else '休息日'}（{reason}）"
        if provisional:
            line += f"——临时：{day.year} 年的节假日安排尚未载入"
        self.emit(options, data, [line])

    def do_add_workdays(self, options):
        if not options["n"].isdigit():
            raise CommandError(f"N must be a whole number of working days, 0 or more, got {options['n']!r}")
        n, region = int(options["n"]), options["region"]
        try:
            start = workcalendar.day_of(options["date"])
            due = workcalendar.add_workdays(options["date"], n, region)
        except ValueError as error:
            raise CommandError(str(error)) from None
        data = {"start": start.isoformat(), "n": n, "region": region, "due": str(due),
                "last_day": due.last_day.isoformat(), "provisional": due.provisional}
        lines = [
            f"起算：{start} {weekday(start)}（当日不计）" + (f"，地区 {region}" if region else ""),
            f"{n} 个工作日后截止：{due.last_day} {weekday(due.last_day)} 24:00（北京时间）",
            f"UTC：{due}",
        ]
        if due.provisional:
            lines.append("临时期限：所跨年份中有尚未载入节假日安排的年份，载入后期限可能变化")
        self.emit(options, data, lines)
