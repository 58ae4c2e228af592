"""Reads. Each returns a queryset already carrying what its callers need."""

from django.db import connection
from django.db.models import Q, QuerySet

from tracker.models import Area, Report


def areas_with_parents() -> QuerySet[Area]:
    return Area.objects.select_related("parent")


def area_descendants(area: Area, *, include_self: bool = True) -> QuerySet[Area]:
    """Areas below `area`, found through stored ancestry."""
    below = Area.objects.filter(path__startswith=area.path)
    return below if include_self else below.exclude(pk=area.pk)


def reports_in_area(area: Area) -> QuerySet[Report]:
    return Report.objects.filter(area__path__startswith=area.path)


def area_search(text: str) -> QuerySet[Area]:
    """Areas whose p-code, English or Arabic name or an alias contains `text`."""
    return (
        areas_with_parents()
        .filter(
            Q(pcode__istartswith=text)
            | Q(name_en__icontains=text)
            | Q(name_ar__icontains=text)
            | Q(aliases__alias__icontains=text)
        )
        .distinct()
    )


def service_health() -> dict:
    """What a worker or a probe sees: the database it reads and how much reference data it has."""
    return {
        "database": connection.vendor,
        "areas": Area.objects.count(),
        "reports": Report.objects.count(),
    }
