"""runserver plus the in-process timer dispatcher (the embedded default, without Redis).

Built on staticfiles' runserver so the pages get their stylesheets and scripts when DEBUG is on."""
from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from engine.dispatcher import DispatcherThread


class Command(RunserverCommand):
    help = "Run the web server; without REDIS_URL, also fire timers in this process."

    def inner_run(self, *args, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            DispatcherThread().start()
            self.stdout.write("timers: dispatched in-process every "
                              f"{settings.CELERY_BEAT_SCHEDULE['dispatch-due-timers']['schedule']:g}s")
        else:
            self.stdout.write("timers: dispatched by Celery beat; run a worker and beat (see README)")
        super().inner_run(*args, **options)
