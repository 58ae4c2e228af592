from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.services import AreaImportError, area_import, read_area_files


class Command(BaseCommand):
    help = "Load or update administrative areas (and aliases) from CSV files in the COD-AB columns."

    def add_arguments(self, parser):
        parser.add_argument("areas", type=Path, help="CSV: level, pcode, name_en, name_ar, ...")
        parser.add_argument("--aliases", type=Path, help="CSV: pcode, alias, language")

    def handle(self, *args, areas: Path, aliases: Path | None, **options):
        try:
            area_rows, alias_rows = read_area_files(areas, aliases)
        except AreaImportError as error:
            raise CommandError("Nothing was loaded:\n" + "\n".join(error.problems)) from None
        counts = area_import(areas=area_rows, aliases=alias_rows)
        self.stdout.write(
            "Areas: {created} created, {updated} updated, {unchanged} unchanged; "
            "{aliases_added} aliases added.".format(**counts)
        )
