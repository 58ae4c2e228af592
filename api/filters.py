from datetime import UTC, datetime, time

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker.calendar import FIRST_DAY, LAST_DAY
from tracker.models import (
    Agency,
    ApiToken,
    Area,
    DailyFigure,
    FigureRelease,
    Report,
    ReportStatus,
    TokenStatus,
)
from tracker.selectors import area_search, figures_as_of

FIRST_MOMENT = datetime.combine(FIRST_DAY, time.min, UTC)
LAST_MOMENT = datetime.combine(LAST_DAY, time.max, UTC)


class MomentField(IsoDateTimeField):
    """An ISO 8601 time (naive ones in TIME_ZONE), in UTC, within the tracker's calendar: an
    extreme year or offset is a 400, not an overflow."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            moment = moment.astimezone(UTC)  # PostgreSQL refuses offsets beyond 15:59
        except OverflowError:
            moment = None
        if moment is None or not FIRST_MOMENT <= moment <= LAST_MOMENT:
            raise forms.ValidationError(f"Give a time from {FIRST_DAY} to {LAST_DAY} (UTC).")
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


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
    updated_since = MomentFilter(
        method="changed_since",
        help_text="Starts a sync: reports changed at or after this time (inclusive), oldest "
        "change first, paged by the `next` links' cursors.",
    )

    class Meta:
        model = Report
        fields = ("area", "agency", "status", "date_from", "date_to", "updated_since")

    def in_area(self, queryset, name, area):
        return queryset.filter(Q(area__path__startswith=area.path))

    def changed_since(self, queryset, name, moment):
        return queryset.filter(updated_at__gte=moment)  # in sync order: ReportPagination


@extend_schema_field(OpenApiTypes.INT)
class ReleaseFilter(django_filters.ModelChoiceFilter):
    """A release, by its id."""


def refuse_future(moment: datetime | None) -> datetime | None:
    """An `as_of`: now or earlier (what the tracker will say later, it cannot say yet)."""
    if moment is not None and moment > timezone.now():
        raise forms.ValidationError("In the future: the tracker cannot say yet what it will say.")
    return moment


class FigureQueryForm(forms.Form):
    """`as_of` and `release` each name a moment past; not both."""

    def clean_as_of(self):
        return refuse_future(self.cleaned_data["as_of"])

    def clean(self):
        data = super().clean()
        moment = data.get("as_of")
        if moment is not None and data.get("release") is not None:
            self.add_error("release", "Give `release` or `as_of`, not both.")
        return data


class FigureFilter(django_filters.FilterSet):
    as_of = MomentFilter(
        method="as_given",
        help_text="The figures as the tracker gave them at this time (ISO 8601; naive times in "
        "TIME_ZONE), from every version it kept: none before the first. Not in the future.",
    )
    release = ReleaseFilter(
        queryset=FigureRelease.objects.all(),
        method="as_given",
        help_text="A release's id (`/figures/releases/`): its frozen figures, the same on every "
        "download.",
    )
    area = PcodeFilter(
        method="at_area", help_text="P-code; with `level`, the areas of that level under it."
    )
    level = django_filters.ChoiceFilter(choices=[(n, n) for n in range(4)], method="at_level")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DailyFigure
        form = FigureQueryForm
        fields = ("area", "level", "date_from", "date_to", "as_of", "release")

    def filter_queryset(self, queryset):
        """The current figures, or those of the moment `as_of` or `release` names (versions
        have the figures' fields, so the other filters apply to them alike)."""
        release, moment = self.form.cleaned_data.get("release"), self.form.cleaned_data.get("as_of")
        if release is not None or moment is not None:
            queryset = figures_as_of(release.as_of if release is not None else moment)
        return super().filter_queryset(queryset)

    def as_given(self, queryset, name, value):
        return queryset  # the moment is taken in filter_queryset

    def at_area(self, queryset, name, area):
        if self.data.get("level") not in (None, ""):
            return queryset.filter(area__path__startswith=area.path)  # narrowed by `level`
        return queryset.filter(area=area)

    def at_level(self, queryset, name, level):
        return queryset.filter(area__level=int(level))


class PublicFigureFilter(FigureFilter):
    """FigureFilter for the public figures: areas and levels down to PUBLIC_MAX_LEVEL only, and
    the figures as they are now (small-number protection is worked out on the current figures,
    so neither `as_of` nor `release`)."""

    as_of = None
    release = None

    class Meta(FigureFilter.Meta):
        fields = ("area", "level", "date_from", "date_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deepest = settings.PUBLIC_MAX_LEVEL
        self.filters["area"].queryset = Area.objects.filter(level__lte=deepest)
        self.filters["level"].extra["choices"] = [(n, n) for n in range(deepest + 1)]
        for name in ("area", "level"):  # a form field made before, copied with the filter
            self.filters[name].__dict__.pop("_field", None)


class TokenFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(
        field_name="user__username", max_length=150, help_text="Username."
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="user__agency",
        queryset=Agency.objects.all(),
        to_field_name="code",
        help_text="Agency code (staff see every agency's tokens).",
    )
    status = django_filters.ChoiceFilter(choices=TokenStatus.choices, method="in_status")

    class Meta:
        model = ApiToken
        fields = ("user", "agency", "status")

    def in_status(self, queryset, name, status):
        now = timezone.now()
        if status == TokenStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        live = queryset.filter(revoked_at__isnull=True)
        if status == TokenStatus.EXPIRED:
            return live.filter(expires_at__lte=now)
        return live.filter(expires_at__gt=now)
