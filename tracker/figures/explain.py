"""How one daily figure was made: the contributing reports, each agency's total, the children."""

from datetime import date

from django.db import connection

from tracker.figures import sql
from tracker.figures.engine import calendar_ensure, dialect
from tracker.models import METRICS, Agency, Area, DailyFigure, Report


def _shares(area: Area, day: date) -> list[tuple[int, int, int, int]]:
    calendar_ensure()
    with connection.cursor() as cursor:
        cursor.execute(
            sql.own_shares(dialect(), "VALUES (%s, NULL, %s, %s, %s, %s)"),
            [area.pk, day.toordinal(), day, day.toordinal(), day],
        )
        return cursor.fetchall()


def _stored(figure: DailyFigure | None, metric: str) -> dict | None:
    if figure is None:
        return None
    names = ("value", "low", "high", "cumulative")
    columns = (metric, f"{metric}_low", f"{metric}_high", f"{metric}_cumulative")
    return {name: getattr(figure, column) for name, column in zip(names, columns, strict=True)}


def _rule(own: dict | None, children: dict | None) -> str:
    if own is None and children is None:
        return "nobody reported this metric here or below: empty (rule 5)"
    if children is None:
        return "the area's own reports: largest agency total (rule 5)"
    if own is None:
        return "the sum of the areas below (rule 6)"
    if own["value"] >= children["value"]:
        return "the area's own reports, larger than the sum of the areas below (rules 5 and 6)"
    return "the sum of the areas below, larger than the area's own reports (rule 6)"


def explain_cell(area: Area, day: date) -> dict:
    """The reports, shares and rules behind one area's figures for one day."""
    figure = DailyFigure.objects.filter(area=area, date=day).first()
    shares = _shares(area, day)
    reports = Report.objects.in_bulk({report_id for report_id, *_ in shares})
    agencies = Agency.objects.in_bulk({agency_id for _, agency_id, *_ in shares})
    children = list(DailyFigure.objects.filter(area__parent=area, date=day).select_related("area"))
    metrics = {}
    for number, metric in enumerate(METRICS):
        mine = [(r, a, s) for r, a, m, s in shares if m == number]
        totals: dict[str, int] = {}
        for _, agency_id, share in mine:
            code = agencies[agency_id].code
            totals[code] = totals.get(code, 0) + share
        own = (
            {"value": max(totals.values()), "low": min(totals.values()),
             "high": sum(totals.values())} if totals else None
        )  # fmt: skip
        below = [c for c in children if getattr(c, metric) is not None]
        summed = (
            {
                name: sum(_stored(c, metric)[name] for c in below)
                for name in ("value", "low", "high")
            }
            if below
            else None
        )
        metrics[metric] = {
            "figure": _stored(figure, metric),
            "rule": _rule(own, summed),
            "own": own,
            "agency_totals": totals,
            "children_sum": summed,
            "contributions": [
                {
                    "report": report_id,
                    "agency": agencies[agency_id].code,
                    "period_start": reports[report_id].period_start,
                    "period_end": reports[report_id].period_end,
                    "cumulative": reports[report_id].cumulative,
                    "reported": getattr(reports[report_id], metric),
                    "share_of_day": share,
                }
                for report_id, agency_id, share in mine
            ],
        }
    return {
        "area": area.pcode,
        "date": day,
        "exists": figure is not None,
        "report_count": figure.report_count if figure else 0,
        "agency_count": figure.agency_count if figure else 0,
        "pending_reports": figure.pending_reports if figure else 0,
        "children": [
            {"area": c.area.pcode, **{m: getattr(c, m) for m in METRICS}} for c in children
        ],
        "metrics": metrics,
    }
