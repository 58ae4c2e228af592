from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Role, User
from tracker.services import user_issue_token

DEMO_LOGIN = ("admin", "admin")


class Command(BaseCommand):
    help = "Local demo only (DEBUG=true): the founding scenario, a staff login and an API token."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo makes a well-known staff login: run it with DEBUG=true.")
        call_command("load_scenario", stdout=self.stdout)
        username, password = DEMO_LOGIN
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username=username, password=password)
        token = user_issue_token(username="ocha-reporter", agency_code="OCHA", role=Role.REPORTER)
        self.stdout.write(
            f"Staff login for /admin/: {username} / {password}\n"
            f"API token of ocha-reporter (agency OCHA): {token}"
        )
