"""Names from the news that the shipped alias file lacks (fixtures/syria_area_aliases_tracker.csv)."""

import csv
from pathlib import Path

from django.db import migrations

EXTRA = Path(__file__).resolve().parent.parent.parent / "fixtures" / "syria_area_aliases_tracker.csv"


def add_aliases(apps, schema_editor):
    Area = apps.get_model("tracker", "Area")
    AreaAlias = apps.get_model("tracker", "AreaAlias")
    with EXTRA.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            area = Area.objects.filter(pcode=row["pcode"]).first()
            if area is not None:
                AreaAlias.objects.get_or_create(
                    area=area, alias=row["alias"], defaults={"language": row["language"]}
                )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0002_load_syria_areas")]

    operations = [migrations.RunPython(add_aliases, migrations.RunPython.noop, elidable=False)]
