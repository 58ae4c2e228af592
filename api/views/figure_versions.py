"""What the figures were: the change feed of their versions, and the releases staff publish."""

import base64
import binascii
import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import MAX_PAGE_SIZE, Pagination
from api.parameters import DocumentedQueryOnly
from api.serializers import (
    FigureChangePageSerializer,
    FigureChangeSerializer,
    FigureReleaseSerializer,
)
from tracker.selectors import figure_changes, figure_releases

CURSOR_PREFIX = "figures:"


def cursor_for(version_id: int) -> str:
    """An opaque cursor: after the version `version_id`."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{version_id}".encode()).decode().rstrip("=")


def version_after(cursor: str | None) -> int:
    """The version a cursor of this feed points after (0: from the first)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not re.fullmatch(r"[0-9]{1,18}", number):
        raise ValidationError({"cursor": ["Not a cursor of this feed: use a `next` link it gave."]})
    return int(number)


class FigureChanges(DocumentedQueryOnly, APIView):
    """Every change of the daily figures, in the order it was committed: each version of a
    cell (area, day) as a change made it, and a tombstone (`removed: true`) where a cell
    stopped having figures. Start without `cursor`, follow `next` until a page is empty, keep
    the last `next` to ask for what changed since. A change never lands behind a cursor already
    given out: versions are committed one refresh after another, in the order of the feed."""

    query_parameters = {"get": ("cursor", "page_size")}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "cursor", str, description="From a `next` link; none: from the first."
            ),
            OpenApiParameter(
                "page_size",
                int,
                description=f"Changes a page (default 100, at most {MAX_PAGE_SIZE}).",
            ),
        ],
        responses=FigureChangePageSerializer,
    )
    def get(self, request):
        after = version_after(request.query_params.get("cursor"))
        size = Pagination().get_page_size(request)
        versions = list(
            figure_changes(after).values_list("id", *FigureChangeSerializer.SOURCES)[:size]
        )
        columns, stamps = FigureChangeSerializer.Meta.fields, {}
        results = [
            dict(zip(columns, FigureChangeSerializer.row(values, stamps), strict=True))
            for _, *values in versions
        ]
        last = versions[-1][0] if versions else after
        query = request.query_params.copy()
        query["cursor"] = cursor_for(last)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"next": next_url, "results": results})


class FigureReleaseList(DocumentedQueryOnly, ListAPIView):
    """The releases staff published, newest first. Each is served by
    `GET /figures/daily/?release=<id>` (JSON, CSV, HXL): the figures as they were at its `as_of`,
    the same, byte for byte, on every download."""

    serializer_class = FigureReleaseSerializer

    def get_queryset(self):
        return figure_releases()


class FigureReleaseDetail(DocumentedQueryOnly, RetrieveAPIView):
    """One release."""

    serializer_class = FigureReleaseSerializer

    def get_queryset(self):
        return figure_releases()
