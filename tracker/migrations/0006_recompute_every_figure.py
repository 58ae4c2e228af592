"""Figures stored before 0005 need the new agency rows under them: recompute them all. Its own
migration: PostgreSQL creates 0005's indexes at its end, which rows written there would block."""

from datetime import date

from django.db import migrations


def mark_every_area_stale(apps, schema_editor):
    Area = apps.get_model("tracker", "Area")
    FigureRecompute = apps.get_model("tracker", "FigureRecompute")
    if not apps.get_model("tracker", "DailyFigure").objects.exists():
        return  # a fresh install
    FigureRecompute.objects.bulk_create(
        FigureRecompute(area_id=pk, since=date(1900, 1, 1), until=date(2099, 12, 31))
        for pk in Area.objects.values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_agency_and_pending_figures")]

    operations = [migrations.RunPython(mark_every_area_stale, migrations.RunPython.noop)]
