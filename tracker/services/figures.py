"""Keeping daily figures current: record what a change makes stale, recompute it after commit."""

from datetime import date

from django.db import transaction

from tracker.figures import engine
from tracker.models import DailyFigure, FigureRecompute

CLAIM = 200  # recomputes taken at once by one worker


Place = tuple[int, int | None]  # (area id, agency id); no agency: every agency's figures there


def figures_mark(*, stale: dict[Place, date]) -> None:
    """Record areas whose figures (and their ancestors') are stale from a date on, in the caller's
    transaction, with the agency whose reports changed; the recompute is queued once it commits
    (run at once without Redis)."""
    FigureRecompute.objects.bulk_create(
        FigureRecompute(area_id=area_id, agency_id=agency_id, since=since)
        for (area_id, agency_id), since in stale.items()
    )
    from tasks.figures import refresh_figures  # the task module imports this one

    transaction.on_commit(refresh_figures.delay)


def stale_cells(*places: tuple[int, int, date]) -> dict[Place, date]:
    """The (area, agency, first day) places a report was and is at, as stale cells: a change to a
    report changes its area's figures from its first day on (a cumulative series from its start)."""
    stale: dict[Place, date] = {}
    for area_id, agency_id, since in places:
        key = (area_id, agency_id)
        stale[key] = min(since, stale.get(key, since))
    return stale


def figures_refresh() -> int:
    """Recompute the cells recorded as stale, a batch at a time; returns how many records were
    settled. Safe to run twice or in parallel: it recomputes from the reports and replaces."""
    settled = 0
    while True:
        with transaction.atomic():
            claimed = list(
                FigureRecompute.objects.select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "area_id", "agency_id", "since")[:CLAIM]
            )
            if not claimed:
                return settled
            engine.recompute(stale_cells(*(row[1:] for row in claimed)))
            FigureRecompute.objects.filter(id__in=[row[0] for row in claimed]).delete()
            settled += len(claimed)


def figures_rebuild() -> None:
    """Recompute every figure from scratch, atomically."""
    engine.rebuild()


def _stored() -> dict:
    columns = [f.attname for f in DailyFigure._meta.concrete_fields]
    skip = {"id", "computed_at"}
    wanted = [c for c in columns if c not in skip]
    return {(row[0], row[1]): row for row in DailyFigure.objects.values_list(*wanted)}


def figures_differences() -> int:
    """How many (area, day) cells the stored figures get wrong: a rebuild, compared and undone."""
    before = _stored()
    with transaction.atomic():
        engine.rebuild()
        after = _stored()
        transaction.set_rollback(True)
    return sum(1 for cell in before.keys() | after.keys() if before.get(cell) != after.get(cell))
