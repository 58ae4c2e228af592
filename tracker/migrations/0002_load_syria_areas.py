"""A fresh install gets Syria's areas and aliases from fixtures/ (see fixtures/README.md)."""

from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"


def load_areas(apps, schema_editor):
    # Frozen models: this runs at this point of the schema, whatever the models become later.
    from tracker.services.areas import read_area_files

    Area = apps.get_model("tracker", "Area")
    AreaAlias = apps.get_model("tracker", "AreaAlias")
    if Area.objects.exists():
        return
    rows, aliases = read_area_files(
        FIXTURES / "syria_areas.csv", FIXTURES / "syria_area_aliases.csv"
    )
    by_pcode = {}
    for row in sorted(rows, key=lambda row: row.level):
        parent = by_pcode.get(row.parent_pcode)
        by_pcode[row.pcode] = Area.objects.create(
            pcode=row.pcode,
            level=row.level,
            parent=parent,
            name_en=row.name_en,
            name_ar=row.name_ar,
            latitude=row.latitude,
            longitude=row.longitude,
            population=row.population,
            path=(parent.path if parent else "") + row.pcode + "/",
        )
    seen = set()
    AreaAlias.objects.bulk_create(
        AreaAlias(area=by_pcode[a.pcode], alias=a.alias, language=a.language)
        for a in aliases
        if (a.pcode, a.alias) not in seen and not seen.add((a.pcode, a.alias))
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]

    operations = [migrations.RunPython(load_areas, migrations.RunPython.noop, elidable=False)]
