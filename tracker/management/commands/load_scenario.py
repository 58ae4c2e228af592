from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tracker.services.scenario import scenario_load

FOUNDING_SCENARIO = Path(settings.BASE_DIR) / "fixtures" / "scenario_nw_syria_2024.json"


class Command(BaseCommand):
    help = "Load a scenario of agencies and reports (by default the founding north-west Syria one)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=FOUNDING_SCENARIO)

    def handle(self, *args, path: Path, **options):
        counts = scenario_load(path=path)
        self.stdout.write(
            "Reports: {created} created, {updated} updated, {unchanged} unchanged.".format(**counts)
        )
