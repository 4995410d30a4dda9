"""API tokens for other systems: create (printed once), list with their last use, revoke."""
import json

from django.core.management.base import BaseCommand, CommandError

from engine.api import clock

from ...models import ApiToken
from ...tokens import TokenError, create_token, revoke_token


def _shown(moment):
    return f"{moment.astimezone(clock.CHINA):%Y-%m-%d %H:%M}" if moment else "—"


class Command(BaseCommand):
    help = "API tokens: each acts as a service account of one office (`Authorization: Token <token>`)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token for an office and print it (only this once)")
        create.add_argument("office", metavar="OFFICE_CODE")
        create.add_argument("--name", required=True, help="names the token in lists and in the audit trail")
        create.add_argument("--supervisor", action="store_true",
                            help="may reassign and release the office's tasks, as its supervisors do")
        create.add_argument("--process-owner", action="store_true",
                            help="may deploy, migrate and control instances (the provincial civil-affairs "
                                 "department only)")
        listing = actions.add_parser("list", help="every token with its office, creation, last use, revocation")
        listing.add_argument("--json", action="store_true")
        revoke = actions.add_parser("revoke", help="revoke a token for good")
        revoke.add_argument("name", metavar="NAME")

    def handle(self, *args, **options):
        try:
            getattr(self, "do_" + options["action"])(options)
        except TokenError as err:
            raise CommandError(str(err)) from None

    def do_create(self, options):
        row, token = create_token(options["office"], options["name"], supervisor=options["supervisor"],
                                  process_owner=options["process_owner"], by="manage.py apitoken")
        self.stdout.write(token)
        self.stderr.write(f"token {row.name} for {row.office.code} ({row.office.name}); it acts as "
                          f"{row.user.get_username()}. Keep it now: only its hash is stored.")

    def do_list(self, options):
        rows = ApiToken.objects.select_related("office")
        if options["json"]:
            self.stdout.write(json.dumps([{
                "name": r.name, "office": r.office.code, "created_at": r.created_at.isoformat(),
                "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None} for r in rows],
                ensure_ascii=False, indent=2))
            return
        for r in rows:
            state = f"revoked {_shown(r.revoked_at)}" if r.is_revoked else "active"
            self.stdout.write(f"{r.name}\t{r.office.code}\tcreated {_shown(r.created_at)}\t"
                              f"last used {_shown(r.last_used_at)}\t{state}")

    def do_revoke(self, options):
        row = revoke_token(options["name"], by="manage.py apitoken")
        self.stdout.write(f"revoked {row.name} ({row.office.code}) at {_shown(row.revoked_at)}")
