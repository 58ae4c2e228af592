from datetime import UTC

import django_filters
from django.db.models import Q

from tracker.models import Agency, Area, DailyFigure, Report, ReportStatus
from tracker.selectors import area_search


class PcodeFilter(django_filters.ModelChoiceFilter):
    def __init__(self, **kwargs):
        super().__init__(queryset=Area.objects.all(), to_field_name="pcode", **kwargs)


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=[(n, n) for n in range(4)])
    parent = PcodeFilter(help_text="P-code of the parent area.")
    q = django_filters.CharFilter(
        method="search", max_length=200, help_text="Part of a name or alias, or a p-code prefix."
    )

    class Meta:
        model = Area
        fields = ("level", "parent", "q")

    def search(self, queryset, name, value):
        return queryset.filter(pk__in=area_search(value).values("pk"))


class ReportFilter(django_filters.FilterSet):
    area = PcodeFilter(method="in_area", help_text="P-code; includes every area below it.")
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), to_field_name="code", help_text="Agency code."
    )
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    date_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", help_text="Periods that end on or after."
    )
    date_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Periods that start on or before."
    )
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since",
        help_text="Reports changed at or after this time (inclusive), oldest change first.",
    )

    class Meta:
        model = Report
        fields = ("area", "agency", "status", "date_from", "date_to", "updated_since")

    def in_area(self, queryset, name, area):
        return queryset.filter(Q(area__path__startswith=area.path))

    def changed_since(self, queryset, name, moment):
        # In UTC: PostgreSQL refuses offsets beyond 15:59 that ISO 8601 allows.
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        return queryset.filter(updated_at__gte=moment).order_by("updated_at", "id")


class FigureFilter(django_filters.FilterSet):
    area = PcodeFilter(
        method="at_area", help_text="P-code; with `level`, the areas of that level under it."
    )
    level = django_filters.ChoiceFilter(choices=[(n, n) for n in range(4)], method="at_level")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DailyFigure
        fields = ("area", "level", "date_from", "date_to")

    def at_area(self, queryset, name, area):
        if self.data.get("level") not in (None, ""):
            return queryset.filter(area__path__startswith=area.path)  # narrowed by `level`
        return queryset.filter(area=area)

    def at_level(self, queryset, name, level):
        return queryset.filter(area__level=int(level))
