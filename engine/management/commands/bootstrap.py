"""First start: an administrator account and the processes in bpmn/ deployed."""
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from engine.deployment import deploy, read_files
from engine.errors import InvalidDefinition


class Command(BaseCommand):
    help = "Create the administrator (printing its password) and deploy bpmn/*.bpmn."

    def handle(self, *args, **options):
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(9)
            User.objects.create_superuser("admin", password=password)
            self.stdout.write(f"administrator: admin / {password}")
        else:
            self.stdout.write("administrator: admin (password unchanged)")
        files = sorted((settings.BASE_DIR / "bpmn").glob("*.bpmn"))
        if not files:
            return
        bpmn, forms = read_files(files)
        try:
            result = deploy(bpmn, forms, note="bootstrap", actor="system")
        except InvalidDefinition as err:
            for problem in err.problems:
                self.stderr.write(str(problem))
            raise SystemExit(1) from None
        for version in result.created:
            self.stdout.write(f"deployed {version.definition.key} version {version.number}")
