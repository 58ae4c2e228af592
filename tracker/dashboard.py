"""The dashboard's reads: one area's daily figures over a period, the areas below it with
theirs, and where those areas are. Every number is one the engine stored (DailyFigure); nothing
here applies a rule of its own.

What a period added is read from the stored cumulatives (rule 7): the area's cumulative on the
period's last day minus its cumulative before the period's first, so people counted twice by
overlapping reports are not added up, as a sum of daily values would.
"""

from datetime import date, datetime, timedelta

from django import forms
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tracker.calendar import FIRST_DAY, LAST_DAY
from tracker.models import METRICS, Area, DailyFigure
from tracker.selectors import figures_as_of, figures_with_areas

DASHBOARD_METRICS = ("displaced", "returned", "killed", "injured")
LONGEST_PERIOD = 366  # days: a year, leap or not
LEVEL_NAMES = {0: "country", 1: "governorate", 2: "district", 3: "sub-district"}


def figure_cells(as_of: datetime | None = None) -> QuerySet:
    """The figures every read here starts from: those stored now, or as the tracker gave them
    at `as_of` (their versions then, with the same fields)."""
    if as_of is None:
        return DailyFigure.objects.all()
    return figures_as_of(as_of).select_related(None).order_by()


def figures_extent(area: Area, cells: QuerySet | None = None) -> tuple[date, date] | None:
    """The first and last day the area has figures for, else those of the country it is in (every
    report counts there), or None."""
    rows = (figure_cells() if cells is None else cells).filter(
        area__pcode__in=[area.pcode, *area.ancestor_pcodes()[:1]]
    )
    own = Q(area=area)
    extent = rows.aggregate(
        first=Min("date", filter=own), last=Max("date", filter=own),
        country_first=Min("date"), country_last=Max("date"),
    )  # fmt: skip
    if extent["first"]:
        return extent["first"], extent["last"]
    return (extent["country_first"], extent["country_last"]) if extent["country_first"] else None


def default_period(
    area: Area, date_from: date | None, date_to: date | None, cells: QuerySet | None = None
) -> tuple[date, date]:
    """The days to show when the query names none or only one: the days the area (else its
    country) has figures for, the last LONGEST_PERIOD of them; else the 30 days up to today."""
    if date_from and date_to:
        return date_from, date_to
    longest = timedelta(days=LONGEST_PERIOD - 1)
    today = timezone.localdate()
    first, last = figures_extent(area, cells) or (today - timedelta(days=29), today)
    if date_from:
        return date_from, min(max(last, date_from), date_from + longest)
    date_to = date_to or last
    start = first if first <= date_to else date_to - timedelta(days=29)
    return max(start, date_to - longest), date_to


class DashboardQuery(forms.Form):
    """Which area and days to show: `area` (a p-code; default the country), `date_from` and
    `date_to` (default: the days the area has figures for, at most LONGEST_PERIOD)."""

    area = forms.CharField(required=False, max_length=20)
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def clean_area(self) -> Area:
        pcode = self.cleaned_data["area"].strip()
        areas = Area.objects.order_by("level", "pcode")
        area = areas.filter(pcode=pcode).first() if pcode else areas.first()
        if area is None:
            raise forms.ValidationError(
                f"Unknown area p-code {pcode}." if pcode else "No areas are loaded."
            )
        return area

    def cells(self) -> QuerySet:
        """The figures the query reads (a subclass may read those of another moment)."""
        return figure_cells()

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, f"Give a day from {FIRST_DAY} to {LAST_DAY}.")
        if self.errors:
            return data
        data["date_from"], data["date_to"] = default_period(
            data["area"], data.get("date_from"), data.get("date_to"), self.cells()
        )
        days = (data["date_to"] - data["date_from"]).days + 1
        if days < 1:
            self.add_error("date_to", "The period ends before it starts (date_to < date_from).")
        elif days > LONGEST_PERIOD:
            self.add_error("date_to", f"Show at most {LONGEST_PERIOD} days at once ({days} asked).")
        return data


class DashboardPageQuery(DashboardQuery):
    """The page's query: also `metric`, the one the map and the breakdown show."""

    metric = forms.ChoiceField(required=False, choices=[(m, m) for m in DASHBOARD_METRICS])

    def clean_metric(self) -> str:
        return self.cleaned_data["metric"] or DASHBOARD_METRICS[0]


class ExplanationQuery(forms.Form):
    """One figure to explain: `area` (p-code), `date`, and optionally one `metric`."""

    area = forms.CharField(max_length=20)
    date = forms.DateField(input_formats=["%Y-%m-%d"])
    metric = forms.ChoiceField(required=False, choices=[(m, m) for m in METRICS])

    def clean_area(self) -> Area:
        pcode = self.cleaned_data["area"].strip()
        area = Area.objects.filter(pcode=pcode).first()
        if area is None:
            raise forms.ValidationError(f"Unknown area p-code {pcode}.")
        return area

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(f"Give a day from {FIRST_DAY} to {LAST_DAY}.")
        return day


def query_errors(query: forms.Form) -> dict[str, list[str]]:
    """A form's errors as the API gives them: {field: [messages]}."""
    return {
        name: [error["message"] for error in errors]
        for name, errors in query.errors.get_json_data().items()
    }


def area_parents(area: Area) -> QuerySet[Area]:
    """The areas above `area`, the country first (from its stored ancestry)."""
    return Area.objects.filter(pcode__in=area.ancestor_pcodes()).order_by("level")


def area_figures(
    area: Area, date_from: date, date_to: date, as_of: datetime | None = None
) -> QuerySet[DailyFigure]:
    """The area's daily figures in the period: the rows GET /api/v1/figures/daily/ gives."""
    rows = figures_with_areas() if as_of is None else figures_as_of(as_of)
    return rows.filter(area=area, date__gte=date_from, date__lte=date_to)


def _cumulative_on(day: date, metric: str, *, before: bool, cells: QuerySet) -> Subquery:
    rows = cells.filter(area=OuterRef("pk"), **{"date__lt" if before else "date__lte": day})
    return Subquery(rows.order_by("-date").values(f"{metric}_cumulative")[:1])


def areas_with_period(
    areas: QuerySet[Area], date_from: date, date_to: date, cells: QuerySet | None = None
) -> QuerySet[Area]:
    """`areas`, each with `<metric>_in_period`: how much its cumulative grew over the period
    (null when nobody had reported the metric in it or below it by the period's end), and
    `has_children`. `cells`: the figures to read (figure_cells)."""
    cells = figure_cells() if cells is None else cells
    annotations = {"has_children": Exists(Area.objects.filter(parent=OuterRef("pk")))}
    for metric in DASHBOARD_METRICS:
        upto = _cumulative_on(date_to, metric, before=False, cells=cells)
        before = Coalesce(_cumulative_on(date_from, metric, before=True, cells=cells), 0)
        annotations[f"{metric}_in_period"] = upto - before
    return areas.annotate(**annotations)


def child_areas(
    area: Area, date_from: date, date_to: date, cells: QuerySet | None = None
) -> QuerySet[Area]:
    """The areas right below `area`, with what the period added to each (areas_with_period)."""
    return areas_with_period(area.children.order_by("pcode"), date_from, date_to, cells)


def child_figures(
    children: list[Area], date_from: date, date_to: date, cells: QuerySet | None = None
) -> QuerySet:
    """The daily values of `children` (the areas below one area) in the period: (area id, date,
    one value per metric) tuples, by area then day. By ids, not by a join on the parent, so that
    PostgreSQL reads each area's days from the (area, date) index instead of every figure."""
    return (
        (figure_cells() if cells is None else cells)
        .filter(
            area_id__in=[child.pk for child in children], date__gte=date_from, date__lte=date_to
        )
        .order_by("area_id", "date")
        .values_list("area_id", "date", *DASHBOARD_METRICS)
    )
