"""One area's figures over a period with the areas below it, in one answer: what the dashboard
draws (its charts, table and map), for any client that wants the same."""

from datetime import date, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import MomentField, refuse_future
from api.parameters import DocumentedQueryOnly
from api.serializers import FigureSerializer
from tracker import dashboard
from tracker.models import Area


def _place(area: Area) -> dict:
    return {
        "pcode": area.pcode,
        "name_en": area.name_en,
        "name_ar": area.name_ar,
        "level": area.level,
        "latitude": float(area.latitude) if area.latitude is not None else None,
        "longitude": float(area.longitude) if area.longitude is not None else None,
    }


def _with_period(area: Area) -> dict:
    return {
        **_place(area),
        "has_children": area.has_children,
        "in_period": {m: getattr(area, f"{m}_in_period") for m in dashboard.DASHBOARD_METRICS},
    }


class OverviewQuery(dashboard.DashboardQuery):
    """The dashboard's query, and `as_of`: the figures as the tracker gave them then."""

    as_of = MomentField(required=False)
    field_order = ("area", "date_from", "date_to", "as_of")

    def clean_as_of(self):
        return refuse_future(self.cleaned_data["as_of"])

    def cells(self):
        return dashboard.figure_cells(self.cleaned_data.get("as_of"))


class FigureOverview(DocumentedQueryOnly, APIView):
    """One area's daily figures over a period, with the areas right below it.

    `figures`: the area's rows as `GET /figures/daily/` gives them, with the four metrics'
    columns. `children`: the areas right below, with their centroid (WGS84 degrees, from the
    areas file) and `in_period`, how much each metric's cumulative grew over the period (rule
    7: counted without overlap, unlike a sum of daily values; null where nobody had reported
    it). `children_figures`: their daily values, one row per area and day. At most 366 days;
    by default the days the area has figures for, and the country when `area` is left out.
    `as_of`: all of it as the tracker gave it at that time (as on `GET /figures/daily/`).
    """

    query_parameters = {"get": ("area", "date_from", "date_to", "as_of")}

    @extend_schema(
        parameters=[
            OpenApiParameter("area", str, description="P-code; default: the country."),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATETIME,
                description="The figures as the tracker gave them then (not in the future).",
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        query = OverviewQuery(request.query_params)
        if not query.is_valid():
            raise ValidationError(dashboard.query_errors(query))
        data = query.cleaned_data
        return Response(overview(data["area"], data["date_from"], data["date_to"], data["as_of"]))


# The daily figures' columns the dashboard draws (half the bytes of a whole row).
FIGURE_FIELDS = (
    "area",
    "date",
    *(f"{m}{s}" for m in dashboard.DASHBOARD_METRICS for s in ("", "_low", "_high", "_cumulative")),
    *("report_count", "agency_count", "pending_reports"),
)


def _figure_rows(figures) -> list[dict]:
    columns, stamps = FigureSerializer.Meta.fields, {}
    picked = [columns.index(name) for name in FIGURE_FIELDS]
    rows = (FigureSerializer.row(v, stamps) for v in figures.values_list(*FigureSerializer.SOURCES))
    return [{name: row[i] for name, i in zip(FIGURE_FIELDS, picked, strict=True)} for row in rows]


def overview(area: Area, date_from: date, date_to: date, as_of: datetime | None = None) -> dict:
    """The answer, in five queries whatever the number of days and areas below; `as_of`: as
    the tracker gave it then."""
    period, cells = (date_from, date_to), dashboard.figure_cells(as_of)
    itself = dashboard.areas_with_period(Area.objects.filter(pk=area.pk), *period, cells).get()
    children = list(dashboard.child_areas(area, *period, cells))
    pcodes = {child.pk: child.pcode for child in children}
    return {
        "area": {
            **_with_period(itself),
            "parents": [_place(parent) for parent in dashboard.area_parents(area)],
        },
        "date_from": date_from,
        "date_to": date_to,
        "figures": _figure_rows(dashboard.area_figures(area, *period, as_of)),
        "children": [_with_period(child) for child in children],
        "children_figures": {
            "columns": ["area", "date", *dashboard.DASHBOARD_METRICS],
            "rows": [
                [pcodes[area_id], *values]
                for area_id, *values in dashboard.child_figures(children, *period, cells)
            ],
        },
    }
