import re

from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.cursors import CURSOR_HELP, SyncPosition, after, cursor_decode, cursor_encode
from tracker.report_sync import reports_sync_horizon

MAX_PAGE_SIZE = 1000
# Browsing counts at most this many reports (more when a later page is asked for): an exact
# count of a million visible reports costs more than the page itself.
COUNT_LIMIT = 10_000
URI = {"type": "string", "format": "uri"}


class Pagination(PageNumberPagination):
    """`page` and `page_size` (default 100, at most 1000); a bad page size is a 400, not clamped."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return int(raw)


class CountedUpTo(DjangoPaginator):
    """A paginator that counts at most `limit` rows (all of them when `limit` is None)."""

    def __init__(self, object_list, per_page, limit: int | None):
        super().__init__(object_list, per_page)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        if self.limit is None:
            return self.object_list.count()
        # COUNT over a LIMIT subquery: PostgreSQL stops reading at the limit.
        return self.object_list.order_by().values("pk")[: self.limit].count()

    @property
    def exact(self) -> bool:
        return self.limit is None or self.count < self.limit


class ReportPagination(Pagination):
    """Reports two ways. Browsing: `page` numbers, newest period first, with a `count` that is
    exact up to COUNT_LIMIT (`count_exact` says whether it is). Syncing: `updated_since` starts a
    sync, and `cursor` (from `next`) continues it, in (updated_at, id) order up to the sync
    horizon (tracker/report_sync.py); a sync page always links `next`, and says `caught_up`
    when nothing more is there yet. A report changed while a client pages comes again, later,
    with its new version."""

    cursor_query_param = "cursor"
    page_query_description = "Browsing: a page number, or `last`. Not with a sync."
    sync_query_params = ("cursor", "updated_since")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.syncing = any(name in request.query_params for name in self.sync_query_params)
        if self.syncing:
            return self._sync_page(queryset, request)
        return self._numbered_page(queryset, request)

    def _numbered_page(self, queryset, request):
        page_size = self.get_page_size(request)
        asked = request.query_params.get(self.page_query_param) or "1"
        limit = None  # the last page needs the whole count
        if asked not in self.last_page_strings:
            wanted = int(asked) if re.fullmatch(r"[0-9]{1,9}", asked) else 1
            limit = max(COUNT_LIMIT, wanted * page_size) + 1
        paginator = CountedUpTo(queryset, page_size, limit)
        number = paginator.num_pages if asked in self.last_page_strings else asked
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(self.invalid_page_message) from None
        return list(self.page)

    def _sync_page(self, queryset, request):
        if self.page_query_param in request.query_params:
            raise ValidationError(
                {"page": ["A sync (`cursor`, `updated_since`) follows `next` links, not pages."]}
            )
        page_size = self.get_page_size(request)
        start = cursor_decode(request.query_params.get(self.cursor_query_param, ""))
        rows = queryset.filter(updated_at__lt=reports_sync_horizon()).order_by("updated_at", "id")
        if start is not None:
            rows = after(rows, start)
        reports = list(rows[: page_size + 1])
        self.caught_up = len(reports) <= page_size
        reports = reports[:page_size]
        self.position = SyncPosition.of(reports[-1]) if reports else start
        return reports

    def get_next_link(self):
        if not self.syncing:
            return super().get_next_link()
        url = self.request.build_absolute_uri()
        if self.position is None:
            return url  # nothing served yet: ask again the same way
        return replace_query_param(url, self.cursor_query_param, cursor_encode(self.position))

    def get_paginated_response(self, data):
        if self.syncing:
            return Response(
                {"next": self.get_next_link(), "caught_up": self.caught_up, "results": data}
            )
        return Response(
            {
                "count": self.page.paginator.count,
                "count_exact": self.page.paginator.exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "description": "A page of a browse (`count`, `count_exact`, `previous`) or of a sync "
            "(`caught_up`); both have `next` and `results`.",
            "required": ["next", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"Browsing: the reports found, counted up to {COUNT_LIMIT:,} "
                    "(or up to the page asked for, when later) and one more: with "
                    "`count_exact` false, there are at least this many.",
                },
                "count_exact": {
                    "type": "boolean",
                    "description": "Browsing: false when `count` stopped counting.",
                },
                "next": {
                    **URI,
                    "nullable": True,
                    "description": "The next page; on a sync page always there (poll it).",
                },
                "previous": {**URI, "nullable": True, "description": "Browsing: the page before."},
                "caught_up": {
                    "type": "boolean",
                    "description": "Sync: nothing more to read for now; poll `next` later.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": CURSOR_HELP,
                "schema": {"type": "string", "maxLength": 200},
            },
        ]
