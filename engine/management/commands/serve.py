"""runserver plus the in-process dispatcher (the embedded default, without Redis): every job of Celery beat's
schedule, the timers' and those the domain adds in settings, runs here on its interval.

Built on staticfiles' runserver so the pages get their stylesheets and scripts when DEBUG is on."""
from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from engine.dispatcher import start_embedded


class Command(RunserverCommand):
    help = "Run the web server; without REDIS_URL, also run beat's jobs (timers first) in this process."

    def inner_run(self, *args, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            for thread in start_embedded():
                self.stdout.write(f"{thread.job}: in-process every {thread.interval:g}s")
        else:
            self.stdout.write("timers: dispatched by Celery beat; run a worker and beat (see README)")
        super().inner_run(*args, **options)
