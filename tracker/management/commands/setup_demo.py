from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Role, User
from tracker.services import user_ensure, user_tokens_rotate

DEMO_LOGIN = ("admin", "admin")
# A login and a token per role, for trying the API and the admin locally (DEBUG only). The
# verifier is staff, so it also signs in to the admin's verification desk.
DEMO_USERS = (
    ("ocha-verifier", "OCHA", Role.VERIFIER),
    ("ocha-viewer", "OCHA", Role.VIEWER),
    ("ocha-reporter", "OCHA", Role.REPORTER),
)


class Command(BaseCommand):
    help = "Local demo only (DEBUG=true): the founding scenario, logins and API tokens."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo makes well-known logins: run it with DEBUG=true.")
        call_command("load_scenario", stdout=self.stdout)
        username, password = DEMO_LOGIN
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username=username, password=password)
        self.stdout.write(f"Staff login for /admin/: {username} / {password}")
        for username, agency, role in DEMO_USERS:
            user = user_ensure(username=username, agency_code=agency, role=role)
            # A new token each run, printed this once (only its digest is kept); the last run's
            # tokens are revoked, so demo tokens do not pile up.
            token = user_tokens_rotate(users=[user], by=None)[0][1]
            user.set_password(username)
            user.is_staff = role == Role.VERIFIER
            user.save(update_fields=["password", "is_staff"])
            self.stdout.write(
                f"{role.value} login: {username} / {username}; "
                f"API token of {username} (agency {agency}): {token}"
            )
