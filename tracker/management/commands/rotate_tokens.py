from django.core.management.base import BaseCommand, CommandError

from tracker.models import Agency, User
from tracker.selectors import members_with_live_tokens
from tracker.services import user_tokens_rotate


class Command(BaseCommand):
    help = (
        "Revoke the live API tokens of a user, or of every member of an agency who has one, and "
        "print each a new token (shown this once)."
    )

    def add_arguments(self, parser):
        whose = parser.add_mutually_exclusive_group(required=True)
        whose.add_argument("--user", help="Username: its tokens, and a new one even without any.")
        whose.add_argument("--agency", help="Agency code: its active members with a live token.")

    def handle(self, *args, user: str | None, agency: str | None, **options):
        if user is not None:
            users = list(User.objects.filter(username=user))
            if not users:
                raise CommandError(f"No user {user!r}.")
            if not users[0].is_active:
                raise CommandError(f"User {user!r} is inactive: activate it first.")
        else:
            if not Agency.objects.filter(code=agency).exists():
                raise CommandError(f"No agency {agency!r}.")
            users = list(members_with_live_tokens(agency_code=agency))
        issued = user_tokens_rotate(users=users, by=None)
        if user is not None:
            self.stdout.write(issued[0][1])  # the token alone on the last line, as issue_token
            return
        for member, key in issued:
            self.stdout.write(f"{member.username} {key}")
        self.stderr.write(f"{len(issued)} token(s) rotated for agency {agency}.")
