from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import User
from tracker.services import release_publish


class Command(BaseCommand):
    help = (
        "Publish the figures as they are now as a named release: a frozen, citable snapshot "
        "served by GET /api/v1/figures/daily/?release=<id>."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help='The release\'s name, e.g. "Flash update 3, 2 Dec 2024"')
        parser.add_argument("--notes", default="", help="What it is for, what it covers.")
        parser.add_argument("--user", help="The username publishing it (staff).")

    def handle(self, *args, name: str, notes: str, user: str | None, **options):
        publisher = None
        if user is not None:
            publisher = User.objects.filter(username=user, is_staff=True).first()
            if publisher is None:
                raise CommandError(f"No staff user named {user!r}.")
        try:
            release = release_publish(name=name, notes=notes, user=publisher)
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(problems) from None
        self.stdout.write(
            f"Release {release.pk} {release.name!r}: the figures as of "
            f"{release.as_of.isoformat()}, at /api/v1/figures/daily/?release={release.pk}"
        )
