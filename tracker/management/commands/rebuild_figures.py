import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tracker.figures import versions
from tracker.figures.sql import DERIVED_TABLES
from tracker.services.figures import figures_differences, figures_rebuild


class Command(BaseCommand):
    help = "Rebuild every daily figure from the reports, atomically (readers never see half)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: say how many cells differ from a rebuild; exit 1 if any do.",
        )

    def handle(self, *args, check: bool, **options):
        started = time.perf_counter()
        if check:
            differing = figures_differences()
            self.stdout.write(f"{differing} cell(s) differ from a rebuild.")
            if differing:
                raise CommandError("The stored figures are not what the reports say.")
            return
        figures_rebuild()
        self.stdout.write(f"Figures rebuilt in {time.perf_counter() - started:.1f} s.")
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Autovacuum would get there within minutes; until then every refresh reads the
            # rewritten tables' rows from the heap instead of their indexes alone. (VACUUM
            # cannot run inside a transaction, such as a test's.)
            with connection.cursor() as cursor:
                for table in (*DERIVED_TABLES, versions.TABLE):
                    cursor.execute(f"VACUUM ANALYZE {table}")
