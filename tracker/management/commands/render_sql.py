from django.core.management.base import BaseCommand, CommandError

from tracker.figures import render


class Command(BaseCommand):
    help = "Write every statement of the figures engine to tracker/figures/rendered/ for review."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; exit 1 if a file is out of date."
        )

    def handle(self, *args, check: bool, **options):
        if check:
            stale = render.stale_files()
            for path in stale:
                self.stdout.write(f"out of date: {path.relative_to(render.RENDERED)}")
            if stale:
                raise CommandError("Run `python manage.py render_sql` and commit the files.")
            return
        for path in render.write():
            self.stdout.write(f"rendered anew: {path.relative_to(render.RENDERED)}")
