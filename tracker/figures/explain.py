"""How one daily figure was made: the contributing reports, each agency's total, the children,
and the stretch its cumulative counts (rule 7).

Everything here is read from the rows the engine stored (agency rows, the area's and its
children's figures) and put together as the rules say, so an explanation shows the numbers the
figure was made of; the property tests check that it comes to the stored figure.
"""

from collections import defaultdict
from datetime import date

from django.db import connection

from tracker.figures import sql
from tracker.figures.engine import calendar_ensure, dialect, values_scope
from tracker.models import METRICS, AgencyFigure, Area, DailyFigure, Report

BELOW = "the areas below"


def _shares(area: Area, day: date) -> list[tuple[int, int, int, int, int]]:
    calendar_ensure()
    with connection.cursor() as cursor:
        cursor.execute(
            sql.own_shares(dialect(), values_scope(1)),
            [area.pk, None, day.toordinal(), day, day.toordinal(), day],
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


def _combined(own: dict | None, children: dict | None) -> dict | None:
    """Rules 5 and 6 put together: the larger of own and children's, high adding both."""
    if own is None or children is None:
        return own or children
    return {
        "value": max(own["value"], children["value"]),
        "low": max(own["low"], children["low"]),
        "high": own["high"] + children["high"],
    }


def _first_day(figure: DailyFigure, metric: str) -> date | None:
    return getattr(figure, f"{metric}_stretch")


def _cumulative(figure: DailyFigure, metric: str) -> int | None:
    return getattr(figure, f"{metric}_cumulative")


class _Rows:
    """The stored rows one explanation of `day` reads, each fetched once: the area's figures,
    and its agency rows and children's figures over the day and the stretches it counts (not
    the area's whole history)."""

    def __init__(self, area: Area, day: date):
        self.figures = {f.date: f for f in DailyFigure.objects.filter(area=area)}
        days = [day, *(d for m in METRICS for d in self.stretch(m, day) or ())]
        span = (min(days), max(days))
        self.agencies = list(
            AgencyFigure.objects.filter(area=area, date__range=span)
            .select_related("agency")
            .order_by("date")
        )
        self.children = list(
            DailyFigure.objects.filter(area__parent=area, date__range=span)
            .select_related("area")
            .order_by("date")
        )

    def stretch(self, metric: str, day: date) -> tuple[date, date] | None:
        """The first and last day of the stretch the cumulative of `day` comes from: the one
        holding the day, or on a quiet day the last one before it."""
        days = sorted(d for d, f in self.figures.items() if d <= day and _first_day(f, metric))
        if not days:
            return None
        first = _first_day(self.figures[days[-1]], metric)
        last = max(d for d, f in self.figures.items() if _first_day(f, metric) == first)
        return first, last

    def cumulative(self, metric: str, day: date) -> dict | None:
        """Rule 7 for the cumulative of `day`: the stretch, its accounts and the one that won."""
        stretch = self.stretch(metric, day)
        if stretch is None:
            return None
        first, last = stretch
        upto = min(day, last)
        accounts: dict[str, dict] = defaultdict(lambda: {"total": 0, "so_far": 0})
        for row in self.agencies:
            value = getattr(row, metric)
            if value is not None and first <= row.date <= last:
                accounts[row.agency.code]["total"] += value
                accounts[row.agency.code]["so_far"] += value if row.date <= upto else 0
        grown = [
            (c.date, getattr(c, f"{metric}_growth") or 0)
            for c in self.children
            if first <= c.date <= last
        ]
        if grown:
            accounts[BELOW] = {
                "total": sum(g for _, g in grown),
                "so_far": sum(g for d, g in grown if d <= upto),
            }
        before = [
            _cumulative(f, metric)
            for d, f in self.figures.items()
            if d < first and _cumulative(f, metric) is not None
        ]
        counted = max(account["so_far"] for account in accounts.values())
        return {
            "stretch": {"first_day": first, "last_day": last, "under_way": day < last},
            "before_stretch": max(before, default=0),
            "accounts": dict(accounts),
            "largest": max(accounts, key=lambda name: accounts[name]["total"]),
            "counted": counted,
            "cumulative": max(before, default=0) + counted,
            "rule": "separate stretches add up; each counts its largest account: one agency's "
            "own reports about the area, or the growth of the areas below (rule 7)",
        }


def _contributions(mine: list, reports: dict, agencies: dict, metric: str) -> list[dict]:
    return [
        {
            "report": report_id,
            "agency": agencies[report_id],
            "period_start": reports[report_id].period_start,
            "period_end": reports[report_id].period_end,
            "cumulative": reports[report_id].cumulative,
            "reported": getattr(reports[report_id], metric),
            "share_of_day": share,
        }
        for report_id, share in mine
    ]


def _metric(rows: _Rows, figure, shares, reports, agencies, metric: str, day: date) -> dict:
    number = METRICS.index(metric)
    totals = {
        row.agency.code: getattr(row, metric)
        for row in rows.agencies
        if row.date == day and getattr(row, metric) is not None
    }
    own = (
        {"value": max(totals.values()), "low": min(totals.values()),
         "high": sum(totals.values())} if totals else None
    )  # fmt: skip
    below = [c for c in rows.children if c.date == day and getattr(c, metric) is not None]
    names = {"value": "", "low": "_low", "high": "_high"}
    summed = (
        {name: sum(getattr(c, metric + suffix) for c in below) for name, suffix in names.items()}
        if below
        else None
    )
    mine = [(report_id, share) for report_id, m, share in shares if m == number]
    return {
        "figure": _stored(figure, metric),
        "rule": _rule(own, summed),
        "own": own,
        "agency_totals": totals,
        "children_sum": summed,
        "explained": _combined(own, summed),
        "cumulative": rows.cumulative(metric, day),
        "contributions": _contributions(mine, reports, agencies, metric),
    }


def explain_cell(area: Area, day: date) -> dict:
    """The reports, shares and rules behind one area's figures for one day."""
    rows = _Rows(area, day)
    figure = rows.figures.get(day)
    shares = [(report_id, m, share) for report_id, _, m, _, share in _shares(area, day)]
    reports = Report.objects.select_related("agency").in_bulk({r for r, *_ in shares})
    agencies = {pk: report.agency.code for pk, report in reports.items()}
    return {
        "area": area.pcode,
        "date": day,
        "exists": figure is not None,
        "report_count": figure.report_count if figure else 0,
        "agency_count": figure.agency_count if figure else 0,
        "pending_reports": figure.pending_reports if figure else 0,
        "children": [
            {"area": c.area.pcode, **{m: getattr(c, m) for m in METRICS}}
            for c in rows.children
            if c.date == day
        ],
        "metrics": {
            metric: _metric(rows, figure, shares, reports, agencies, metric, day)
            for metric in METRICS
        },
    }
