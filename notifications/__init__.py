"""Reaching people and other systems: notifications to the people concerned (e-mail, a messaging group's robot,
or a daily digest) and signed webhooks to other systems.

Everything starts from the engine's audit trail, read by id (`cursor.py`), and from scans of due dates
(`reminders.py`). What is to be sent is written to outbox tables first (`models.py`), each row with an
idempotency key, and sent by Celery jobs (`jobs.py`) that claim rows with a lease and retry with exponential
backoff (`outbox.py`): a channel that is down delays a message, never loses or doubles it.
"""
