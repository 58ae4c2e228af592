"""Verified daily figures without a token, for HDX, the HXL Proxy and anyone (README, "Public
figures"): with PUBLIC_FIGURES on, down to PUBLIC_MAX_LEVEL, small numbers withheld
(tracker/disclosure.py), PUBLIC_RATE requests per client address."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from api.filters import PublicFigureFilter
from api.serializers import (
    FIGURE_COLUMNS,
    PUBLIC_COLUMNS,
    FigureSerializer,
    PublicFigureSerializer,
)
from api.throttling import AddressRateThrottle
from api.views.figures import DailyFigureList
from tracker.disclosure import Protection, protect
from tracker.models import METRICS
from tracker.selectors import figure_rows_down_to, figures_version

PUBLISHED_COLUMNS = (*FIGURE_COLUMNS, "withheld")
# A figure refreshed between the two reads, unknown to the protection: shown withheld whole.
UNKNOWN = (*(None for _ in FIGURE_COLUMNS), (*METRICS, *(f"{m}_cumulative" for m in METRICS)))


# The last protected figures this process made, by what they were made from: protection looks
# at every public area's every day (a year of Syria's districts: under a second, bench.protect),
# so it is made again only when the figures or the settings change. A day's protection depends
# on that day and the days before only, so one answer serves every date range.
_last_published: dict[tuple, dict] = {}


def published_figures() -> dict[tuple[str, str], tuple]:
    """Every public figure, protected, by (p-code, ISO date): the values of PUBLISHED_COLUMNS
    (tuples: a year of Syria's districts is some 10 MB, not 40)."""
    protection = Protection(
        min_count=settings.PUBLIC_MIN_COUNT, from_level=settings.PUBLIC_PROTECT_FROM_LEVEL
    )
    deepest = settings.PUBLIC_MAX_LEVEL
    made_from = (deepest, protection, figures_version(level=deepest))
    if made_from not in _last_published:
        _last_published.clear()
        _last_published[made_from] = _protected(protection, deepest)
    return _last_published[made_from]


def _protected(protection: Protection, deepest: int) -> dict[tuple[str, str], tuple]:
    rows = figure_rows_down_to(level=deepest)
    return {
        (row["area"], row["date"].isoformat()): (
            *(row[name] for name in FIGURE_COLUMNS),
            tuple(row["withheld"]),
        )
        for row in protect(rows, protection)
    }


class PublicFigureList(DailyFigureList):
    """The daily figures without a token: as `/figures/daily/`, without pending reports, small
    numbers withheld (null, and named in `withheld`)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AddressRateThrottle,)
    serializer_class = PublicFigureSerializer
    filterset_class = PublicFigureFilter
    columns = PUBLIC_COLUMNS
    export_name = "public-daily-figures"

    def initial(self, request, *args, **kwargs):
        if not settings.PUBLIC_FIGURES:
            raise NotFound("No such resource.")
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(area__level__lte=settings.PUBLIC_MAX_LEVEL)

    @extend_schema(
        auth=[],
        responses={
            (200, "application/json"): PublicFigureSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Every row; HXL adds its hashtag row."
            ),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def figure_rows(self, figures, values):
        published = published_figures()
        for row in super().figure_rows(figures, values):
            cells = dict(zip(FigureSerializer.Meta.fields, row, strict=True))
            shown = published.get((cells["area"], cells["date"]), UNKNOWN)
            cells |= zip(PUBLISHED_COLUMNS, shown, strict=True)
            cells["withheld"] = list(cells["withheld"])
            yield [cells[name] for name in self.columns]
