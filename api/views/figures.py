"""Daily figures, as JSON pages or streamed CSV and HXL exports."""

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.figure_columns import hxl_tags
from api.filters import FigureFilter
from api.parameters import DocumentedQueryOnly
from api.renderers import CSVRenderer, HXLRenderer, SafeJSONRenderer, StreamedRenderer
from api.serializers import FigureSerializer
from tracker.figures.explain import explain_cell
from tracker.models import Area
from tracker.selectors import figures_with_areas


class Echo:
    def write(self, value):
        return value


# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection"): such text
# cells (an area named "=HYPERLINK(...)") go out with a leading apostrophe, shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cells: list) -> list:
    """A CSV row whose text cells no spreadsheet runs as formulas; numbers stay numbers."""
    return [
        "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
        for cell in cells
    ]


class DailyFigureList(DocumentedQueryOnly, ListAPIView):
    """Reconciled daily figures per area and day (DESIGN.md's rules; the README explains them).

    Days without any verified report have no row. JSON comes in pages; CSV (`format=csv` or
    `Accept: text/csv`) and HXL (`format=hxl` or `Accept: text/csv; profile=hxl`) stream every
    matching row, HXL with its hashtag row. `format` wins over `Accept`; errors are JSON.
    """

    serializer_class = FigureSerializer
    filterset_class = FigureFilter
    renderer_classes = [SafeJSONRenderer, HXLRenderer, CSVRenderer]  # the first is the default

    def get_queryset(self):
        return figures_with_areas()

    @extend_schema(
        responses={
            (200, "application/json"): FigureSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Every row; HXL adds its hashtag row."
            ),
        }
    )
    def get(self, request, *args, **kwargs):
        export = request.accepted_renderer.format
        if export == "json":
            return self.list(request, *args, **kwargs)
        return self.stream(export)

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors are JSON whatever format was asked for (DRF adds `Vary: Accept`)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and isinstance(
            response.accepted_renderer, StreamedRenderer
        ):
            response.accepted_renderer = SafeJSONRenderer()
            response.accepted_media_type = response.accepted_renderer.media_type
        return response

    columns = FigureSerializer.Meta.fields  # of every row, JSON and exports alike
    export_name = "daily-figures"

    def figure_rows(self, figures, values) -> Iterator[list]:
        """Each of `values` (of `figures.values_list(*FigureSerializer.SOURCES)`) as a row of
        `columns`."""
        stamps: dict = {}
        for figure in values:
            if len(stamps) > 10_000:  # a long export: keep the memory small
                stamps.clear()
            yield FigureSerializer.row(figure, stamps)

    def list(self, request, *args, **kwargs):
        figures = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(figures.values_list(*FigureSerializer.SOURCES))
        rows = [
            dict(zip(self.columns, row, strict=True)) for row in self.figure_rows(figures, page)
        ]
        return self.get_paginated_response(rows)

    def stream(self, export: str) -> StreamingHttpResponse:
        figures = self.filter_queryset(self.get_queryset())
        columns = list(self.columns)
        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow(columns)
            if export == "hxl":
                yield writer.writerow(hxl_tags(columns))
            values = figures.values_list(*FigureSerializer.SOURCES).iterator(chunk_size=2000)
            for row in self.figure_rows(figures, values):
                cells = [" ".join(cell) if isinstance(cell, list) else cell for cell in row]
                yield writer.writerow(spreadsheet_safe(cells))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        name = self.export_name + ("-hxl" if export == "hxl" else "")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class ExplainQuery(serializers.Serializer):
    area = serializers.SlugRelatedField(slug_field="pcode", queryset=Area.objects.all())
    date = serializers.DateField()


class DailyFigureExplain(DocumentedQueryOnly, APIView):
    """How one area's figures for one day were made: every contributing report with the share of
    its count that falls on that day, each agency's total, the rule that picked the value, and the
    areas below against the area's own reports."""

    query_parameters = {"get": tuple(ExplainQuery().fields)}

    @extend_schema(parameters=[ExplainQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = ExplainQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(explain_cell(query.validated_data["area"], query.validated_data["date"]))
