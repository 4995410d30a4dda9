"""Load the demonstration offices and their accounts (idempotent) and print the accounts."""
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.national import MAX_STATIONS, fill_history, load_national, size_for
from workflows.sample_data import load_sample_data, sample_offices

PASSWORD_FILE = "demo-password"


class Command(BaseCommand):
    help = ("Load the demonstration offices (8 prefectures, 40 counties, 64 stations, the provincial "
            "departments, social organisations, evaluators), one account per office, and print the accounts.")

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password of every demonstration account (default: generated "
                                               "the first time and kept in VAR_DIR/demo-password)")
        parser.add_argument("--national", action="store_true",
                            help="also generate a synthetic nation (provinces, prefectures, counties, stations, "
                                 "social organisations, one account each) for load tests")
        parser.add_argument("--stations", type=int,
                            help=f"stations of the synthetic nation (1 to {MAX_STATIONS:,}; default 40,000)")
        parser.add_argument("--seed", type=int, help="seed of the synthetic nation's random choices (default 0)")
        parser.add_argument("--history", action="store_true",
                            help="with --national: fill the year so far with instances, tasks, timers, audit rows "
                                 "and the records their steps keep, copied from a simulation of a few stations "
                                 "through the engine")

    def handle(self, *args, password=None, national=False, stations=None, seed=None, history=False, **options):
        national_only = [option for option, value in (("--stations", stations), ("--seed", seed)) if value is not None]
        national_only += ["--history"] if history else []
        if national_only and not national:
            raise CommandError(f"{', '.join(national_only)}: only with --national (the demonstration offices are "
                               "no synthetic nation to size, seed or fill)")
        stations = 40000 if stations is None else stations
        seed = seed or 0
        if national:
            try:
                size = size_for(stations)  # checked before anything is loaded
            except ValueError as err:
                raise CommandError(f"--stations: {err}") from None
        path = settings.VAR_DIR / PASSWORD_FILE
        given = password is not None
        if not given:
            password = path.read_text().strip() if path.exists() else secrets.token_urlsafe(9)
        if not password:
            self.stderr.write("--password: the password must not be empty")
            raise SystemExit(2)
        result = load_sample_data(password, reset_passwords=given)
        if given or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(password + "\n")
            path.chmod(0o600)

        if result.changed:
            self.stdout.write(
                f"sample data loaded: {result.offices_created} offices created, {result.offices_updated} updated; "
                f"{result.users_created} accounts created, {result.users_named} named, {result.passwords_set} passwords set, "
                f"{result.memberships_changed} memberships created or updated")
        else:
            self.stdout.write("sample data already loaded: nothing changed")
        self.stdout.write(f"password of every account below: {password}  (kept in {path})")
        for office in sample_offices():
            self.stdout.write(f"  {office.code:<28} {office.name}")
        if national:
            created = load_national(stations, password, seed)
            self.stdout.write(
                f"synthetic nation: {size.provinces} provinces, {size.prefectures} prefectures, {size.counties} "
                f"counties, {size.stations} stations, {size.social_orgs} social organisations; {created} offices "
                "created (codes syn-…, the same password)")
            if history:
                try:
                    filled = fill_history(seed)
                except ValueError as err:
                    raise CommandError(str(err)) from None
                self.stdout.write(f"history: {filled.instances} instances, {filled.tasks} tasks "
                                  f"({filled.open_tasks} open), {filled.audit} audit rows, "
                                  f"{filled.records} records")
