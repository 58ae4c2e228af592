"""Figures stored before 0009 have no stretches (rule 7 as rewritten): refresh them all. Its own
migration, as 0006: PostgreSQL creates 0009's deferred changes at its end."""

from datetime import date

from django.db import migrations


def mark_every_area_stale(apps, schema_editor):
    Area = apps.get_model("tracker", "Area")
    StaleFigure = apps.get_model("tracker", "StaleFigure")
    if not apps.get_model("tracker", "DailyFigure").objects.exists():
        return  # a fresh install
    StaleFigure.objects.bulk_create(
        StaleFigure(area_id=pk, since=date(1900, 1, 1), until=date(2099, 12, 31))
        for pk in Area.objects.values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0009_stretches")]

    operations = [migrations.RunPython(mark_every_area_stale, migrations.RunPython.noop)]
