from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Role
from tracker.services import user_issue_token


class Command(BaseCommand):
    help = "Print an API token for a user, creating the agency and the user when missing."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--agency", required=True, help="Agency code, e.g. OCHA")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, username: str, agency: str, role: str, **options):
        try:
            key = user_issue_token(username=username, agency_code=agency, role=Role(role))
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(problems) from None
        self.stdout.write(key)
