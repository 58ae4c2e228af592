"""Baselines: the same work as the API with nothing around it.

Report creation: no DRF, no authentication, no validation: parse the JSON, find the area,
`Report.objects.create` (which, like the API, also writes the report's history row).
Daily figures: one area's rows as JSON, straight from `values()`.
"""

import json
from datetime import date
from functools import cache

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api.figure_columns import PLACE_COLUMNS, place_columns
from tracker.figures.sql import FIGURE_COLUMNS
from tracker.models import Area, DailyFigure, Report, User
from tracker.models.reports import CHILD_FIELDS, COUNT_FIELDS

PLACE_PARTS = ("pcode", "name_en", "name_ar")
MINIMAL_USERNAME = "bench-reporter"  # the same user as the API calls


@cache
def _submitter() -> User:
    return User.objects.get(username=MINIMAL_USERNAME)


@csrf_exempt
@require_POST
def minimal_create(request):
    data = json.loads(request.body)
    user = _submitter()
    start = date.fromisoformat(data["period_start"])
    report = Report.objects.create(
        agency_id=user.agency_id,
        submitted_by=user,
        area_id=Area.objects.values_list("pk", flat=True).get(pcode=data["area"]),
        period_start=start,
        period_end=date.fromisoformat(data["period_end"]) if "period_end" in data else start,
        **{field: data[field] for field in (*COUNT_FIELDS, *CHILD_FIELDS) if field in data},
    )
    return JsonResponse({"id": report.pk}, status=201)


DAILY_FIELDS = (
    *("area__pcode", "area__name_en", "area__name_ar", "area__level", "date", *FIGURE_COLUMNS),
    *("report_count", "agency_count", "pending_reports", "computed_at"),
)
ANCESTORS = [f"area__{'parent__' * up}{name}" for up in (1, 2, 3) for name in PLACE_PARTS]


def minimal_daily(request):
    """The baseline for one area's daily figures: the same rows, no DRF, no authentication;
    each level's code and names from the area's ancestors, as the API's rows carry them."""
    figures = DailyFigure.objects.filter(area__pcode=request.GET["area"]).order_by("date")
    rows = []
    for row in figures.values(*DAILY_FIELDS, *ANCESTORS)[:1000]:
        chain = [(row["area__pcode"], row["area__name_en"], row["area__name_ar"])]
        for up in (1, 2, 3):
            chain.append(tuple(row.pop(f"area__{'parent__' * up}{name}") for name in PLACE_PARTS))
        places = place_columns(row["area__level"], chain)
        rows.append(row | dict(zip(PLACE_COLUMNS, places, strict=True)))
    return JsonResponse({"results": rows})
