"""manage.py webhooks: subscribe another system to events, list subscriptions, end one."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db.models import Count

from notifications.models import WebhookEvent, WebhookSubscription

EVENTS = [value for value, _label in WebhookEvent.choices]


def parse_events(text):
    names = EVENTS if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in EVENTS]
    if unknown or not names:
        raise CommandError(f"unknown events {', '.join(unknown) or '(none)'}; choose from {', '.join(EVENTS)} or all")
    return names


class Command(BaseCommand):
    help = "Outbound webhooks: `add NAME URL --events E1,E2` (or all), `list`, `remove NAME`."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="subscribe URL to events; prints the signing secret")
        add.add_argument("name")
        add.add_argument("url")
        add.add_argument("--events", required=True, help=f"comma-separated: {', '.join(EVENTS)}; or all")
        add.add_argument("--secret", help="the signing secret (default: a new random one)")
        actions.add_parser("list", help="the subscriptions and their deliveries by state")
        remove = actions.add_parser("remove", help="end a subscription; its delivery log goes with it")
        remove.add_argument("name")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _add(self, name, url, events, secret=None, **options):
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(f"not an http(s) URL: {url}") from None
        if WebhookSubscription.objects.filter(name=name).exists():
            raise CommandError(f"a subscription named {name} exists; remove it first")
        row = WebhookSubscription(name=name, url=url, events=parse_events(events))
        if secret:
            row.secret = secret
        row.save()
        self.stdout.write(f"subscribed {name} to {', '.join(row.events)}\nsecret: {row.secret}")

    def _list(self, **options):
        for row in WebhookSubscription.objects.all():
            states = row.deliveries.values_list("state").annotate(n=Count("id")).order_by("state")
            counts = ", ".join(f"{state} {n}" for state, n in states) or "no deliveries"
            self.stdout.write(f"{row.name}\t{row.url}\t{','.join(row.events)}\t"
                              f"{'active' if row.active else 'inactive'}\t{counts}")

    def _remove(self, name, **options):
        deleted, _ = WebhookSubscription.objects.filter(name=name).delete()
        if not deleted:
            raise CommandError(f"no subscription named {name}")
        self.stdout.write(f"removed {name}")
