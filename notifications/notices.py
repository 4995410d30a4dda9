"""Writing notifications and their outbox rows, single or gathered into the day's digest."""
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from engine.api import clock

from . import compose
from .models import Notification, NotificationSettings, OutboxMessage

DIGEST_ITEMS = 200  # listed in one digest; the rest are counted


def notify(users, kind, key, subject, body, url="", immediate=False):
    """Tell each of `users` once: the notification `key`:user is written the first time only. It goes out on
    each channel the person chose, or waits for their digest (unless `immediate`). Returns those written."""
    written = []
    for user in users:
        note, created = Notification.objects.get_or_create(key=f"{key}:{user.pk}", defaults={
            "recipient": user, "kind": kind, "subject": subject[:300], "body": body, "url": url[:500]})
        if not created:
            continue
        chosen = NotificationSettings.of(user)
        if chosen.digest and not immediate:
            note.digest = Notification.DIGEST_PENDING
            note.save(update_fields=["digest"])
        else:
            for channel in chosen.channels():
                OutboxMessage.objects.get_or_create(key=f"{note.key}:{channel}", defaults={
                    "recipient": user, "channel": channel, "notification": note, "subject": note.subject,
                    "body": note.body})
        written.append(note)
    return written


def digest_cutoff(now=None):
    """The last digest moment at or before `now`: DIGEST_HOUR o'clock, China time."""
    local = (now or clock.now()).astimezone(clock.CHINA)
    cutoff = datetime.combine(local.date(), time(settings.NOTIFICATIONS["DIGEST_HOUR"]), clock.CHINA)
    return cutoff if cutoff <= local else cutoff - timedelta(days=1)


def make_digests(now=None):
    """For everyone with notifications waiting from before the last digest moment: one digest on each of their
    channels (its key names the day and its first notification). Returns how many people got one."""
    cutoff = digest_cutoff(now)
    day = cutoff.date()
    waiting = Notification.objects.filter(digest=Notification.DIGEST_PENDING, created_at__lt=cutoff)
    made = 0
    for recipient_id in waiting.values_list("recipient", flat=True).distinct().order_by("recipient"):
        with transaction.atomic():
            notes = list(waiting.select_for_update().filter(recipient_id=recipient_id)
                         .select_related("recipient").order_by("created_at", "id"))
            if not notes:
                continue  # another reader made it
            user = notes[0].recipient
            subject, body = compose.digest(day, notes, DIGEST_ITEMS)
            key = f"digest:{user.pk}:{day.isoformat()}:{notes[0].pk}"
            for channel in NotificationSettings.of(user).channels():
                OutboxMessage.objects.get_or_create(key=f"{key}:{channel}", defaults={
                    "recipient": user, "channel": channel, "subject": subject, "body": body})
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(digest=Notification.DIGESTED)
            made += 1
    return made
