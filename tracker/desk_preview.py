"""What a verifier's decision would do to the daily figures, for the desk's pages: the engine's
own answer (tracker.services.figures.figures_preview), laid out as rows of cells."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.errors import StateError
from tracker.models import METRICS, Area, DailyFigure, Report
from tracker.services.figures import FigurePreview, figures_preview

SHOWN = ("displaced", "returned", "killed", "injured")  # the columns a row shows
# Every column of a figure that a decision can change: a row differs when any of them does.
COMPARED = (
    *(f"{m}{s}" for m in METRICS for s in ("", "_low", "_high", "_cumulative")),
    "report_count",
    "agency_count",
    "pending_reports",
)
PREVIEW_REPORTS = 200  # a bulk confirmation previews at most this many decisions


@dataclass
class FigureRow:
    """One area and day: each shown metric now and after the decision, with its range."""

    area: Area
    date: date
    values: list[tuple[str, int | None, int | None]]  # (metric, now, after)
    ranges: list[tuple[str, str]]  # each metric's "low–high" now, after
    pending: tuple[int | None, int | None]  # pending reports now, after
    changed: bool

    def cells(self):
        """(metric, now, after, range now, range after) of each shown metric."""
        return [(*v, *r) for v, r in zip(self.values, self.ranges, strict=True)]


def _value(figure: DailyFigure | None, column: str):
    return None if figure is None else getattr(figure, column)


def _range(figure: DailyFigure | None, metric: str) -> str:
    low, high = _value(figure, f"{metric}_low"), _value(figure, f"{metric}_high")
    return "" if low is None else f"{low}–{high}"


def rows(preview: FigurePreview) -> list[FigureRow]:
    found = []
    for cell in preview.cells:
        now, then = preview.now.get(cell), preview.then.get(cell)
        changed = any(_value(now, c) != _value(then, c) for c in COMPARED)
        found.append(
            FigureRow(
                area=preview.areas[cell[0]],
                date=cell[1],
                values=[(m, _value(now, m), _value(then, m)) for m in SHOWN],
                ranges=[(_range(now, m), _range(then, m)) for m in SHOWN],
                pending=(_value(now, "pending_reports"), _value(then, "pending_reports")),
                changed=changed,
            )
        )
    return found


def _messages(error: Exception) -> str:
    return "; ".join(getattr(error, "messages", None) or [str(error)])


def decision_preview(decide: Callable[[], object]) -> dict:
    """{"rows": [FigureRow], "changed": n} for one decision, or {"error": why it would fail}."""
    try:
        found = rows(figures_preview(change=decide))
    except (StateError, ValidationError) as error:
        return {"error": _messages(error), "rows": [], "changed": 0}
    return {"rows": found, "changed": sum(row.changed for row in found)}


def decisions_preview(reports: Sequence[Report], decide: Callable[[Report], object]) -> dict:
    """The figure cells that deciding all of `reports` would change (only those), and why any
    of them could not be decided ({report id: message}), as the bulk action would do them: one
    by one, skipping those that fail."""
    if len(reports) > PREVIEW_REPORTS:
        return {"too_many": PREVIEW_REPORTS, "rows": [], "problems": {}}
    problems: dict[int, str] = {}

    def change():
        for report in reports:
            try:
                with transaction.atomic():
                    decide(report)
            except (StateError, ValidationError) as error:
                problems[report.pk] = _messages(error)

    found = [row for row in rows(figures_preview(change=change)) if row.changed]
    return {"rows": found, "problems": problems}
