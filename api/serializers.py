import re

from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from api.figure_columns import PLACE_COLUMNS, area_place_columns, place_columns
from api.schema import RowErrorsSerializer
from tracker.models import (
    METRICS,
    ApiToken,
    Area,
    DailyFigure,
    FigureRelease,
    ImportJob,
    ImportStatus,
    Report,
    ReportRevision,
    TokenStatus,
)
from tracker.selectors import sees_private_fields
from tracker.services.imports import ERRORS_KEPT
from tracker.services.reports import SUBMITTED_FIELDS
from tracker.services.revisions import REVISED_FIELDS

MAX_COUNT = 2_147_483_647  # what a report's count column holds


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="pcode", read_only=True, allow_null=True, help_text="Null for the country."
    )

    class Meta:
        model = Area
        fields = ("pcode", "name_en", "name_ar", "level", "parent")


class AreaCandidateSerializer(AreaSerializer):
    parents = serializers.SerializerMethodField()
    matched = serializers.CharField(help_text="The name or alias that matched.")
    score = serializers.FloatField(help_text="100 for an exact match (after folding).")

    class Meta(AreaSerializer.Meta):
        fields = (*AreaSerializer.Meta.fields, "parents", "matched", "score")

    @extend_schema_field(AreaSerializer(many=True))
    def get_parents(self, area) -> list[dict]:
        return [AreaSerializer(parent).data for parent in self.context["parents"][area.pk]]


class AreaField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="pcode", queryset=Area.objects.all(), **kwargs)
        self.error_messages["does_not_exist"] = "Unknown area p-code {value}."


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming them, instead of ignoring them."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected an object of report fields."]}
            )
        unknown = sorted(str(key) for key in set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key[:100]: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


SURROGATES = re.compile("[\ud800-\udfff]")


class NoSurrogatesValidator(ProhibitSurrogateCharactersValidator):
    """DRF's check, without a Python loop over every character (bulk notes run long)."""

    def __call__(self, value):
        if not str(value).isascii() and SURROGATES.search(str(value)):
            super().__call__(value)


class Text(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            NoSurrogatesValidator() if isinstance(v, ProhibitSurrogateCharactersValidator) else v
            for v in self.validators
        ]


def _count(help_text: str):
    return serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, required=False, allow_null=True, help_text=help_text
    )


class ReportInputSerializer(StrictSerializer):
    """What an agency submits. The agency is the caller's; status and verification are not input."""

    area = AreaField(help_text="P-code of the area, e.g. SY0700.")
    period_start = serializers.DateField(help_text="First day, in the local calendar.")
    period_end = serializers.DateField(required=False, help_text="Last day; default: period_start.")
    displaced = _count("People newly displaced from the area.")
    returned = _count("People who returned to the area.")
    killed = _count("Civilians killed.")
    injured = _count("Civilians injured.")
    killed_children = _count("Children among the civilians killed.")
    injured_children = _count("Children among the civilians injured.")
    cumulative = serializers.BooleanField(required=False, default=False)
    destination = AreaField(required=False, allow_null=True)
    external_id = Text(max_length=200, required=False, allow_blank=True)
    source_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    source_name = Text(max_length=200, required=False, allow_blank=True)
    notes = Text(max_length=10_000, required=False, allow_blank=True)


class ReportSubmitSerializer(ReportInputSerializer):
    """A new report (POST, or a row of a bulk import)."""

    duplicate = serializers.ChoiceField(
        choices=["confirmed"],
        required=False,
        help_text='"confirmed": submit it even though it repeats the statement (area, period, '
        "cumulative flag and counts) of one of your pending or verified reports; it is kept "
        "with `duplicate_of`. Without it, such a report is refused with 409 and `duplicate_of`.",
    )


class SharedFieldsMixin:
    """For output-only serializers: build the fields once per class, not once per instance.

    DRF deep-copies (and ModelSerializer re-derives) every field for every serializer instance:
    about 1.8 ms for a report, more than the database insert. Read-only fields keep no state of
    their own between calls, so one set serves every instance.
    """

    @cached_property
    def fields(self):
        cls = type(self)
        if "_shared_fields" not in cls.__dict__:
            cls._shared_fields = super().fields
        return cls._shared_fields


# Fields another agency does not see on a report it can read.
PRIVATE_FIELDS = ("submitted_by", "notes", "status_reason")
# What another agency sees of a pending revision: that there is one, not what it proposes.
PUBLIC_REVISION_FIELDS = ("id", "number", "created_at")


class RevisionSerializer(serializers.ModelSerializer):
    """A correction of a verified report waiting for a verifier: the values it proposes."""

    area = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    destination = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)
    source_url = serializers.URLField(read_only=True, allow_blank=True)  # in the schema: or ""
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReportRevision
        fields = ("id", "number", *REVISED_FIELDS, "submitted_by", "created_at")
        read_only_fields = fields
        extra_kwargs = {name: {"required": False} for name in fields}

    # Left out for other agencies: the schema does not require them (api/schema.py).
    sometimes_withheld = tuple(name for name in Meta.fields if name not in PUBLIC_REVISION_FIELDS)


class ReportSerializer(SharedFieldsMixin, serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    destination = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)
    source_url = serializers.URLField(read_only=True, allow_blank=True)  # in the schema: or ""
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    pending_revision = RevisionSerializer(
        read_only=True,
        allow_null=True,
        help_text="A correction of this verified report waiting for a verifier (the report's "
        "own values count until it is verified), or null. Other agencies see only its id, "
        "number and created_at.",
    )

    class Meta:
        model = Report
        fields = (
            "id",
            "agency",
            *SUBMITTED_FIELDS,
            "status",
            "status_reason",
            "submitted_by",
            "verified_at",
            "duplicate_of",
            "possible_duplicate_of",
            "pending_revision",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    sometimes_withheld = PRIVATE_FIELDS  # left out for other agencies

    def to_representation(self, report):
        data = super().to_representation(report)
        if not sees_private_fields(self.context["request"].user, report):
            for field in PRIVATE_FIELDS:
                data.pop(field, None)
            if data["pending_revision"] is not None:
                revision = data["pending_revision"]
                data["pending_revision"] = {key: revision[key] for key in PUBLIC_REVISION_FIELDS}
        return data


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, allow_blank=False)


class OptionalReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class BulkRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Counted from 1, the first report after any header.")
    errors = RowErrorsSerializer()


class BulkSummarySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    atomic = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = BulkRowErrorSerializer(
        many=True, help_text='Per-row errors: {"row": 3, "errors": {"killed": ["..."]}}.'
    )


class ImportJobSerializer(serializers.ModelSerializer):
    """A bulk upload a worker processes: how far it got and, once done, what it did."""

    errors = serializers.ListField(
        child=serializers.DictField(),
        help_text=f"The first {ERRORS_KEPT} rejected rows' errors, by row (as the summary's).",
    )
    errors_omitted = serializers.SerializerMethodField(
        help_text="Rejected rows whose errors are not listed."
    )
    summary = serializers.SerializerMethodField(
        help_text="Once done: the answer a small upload gets at once (errors as above)."
    )

    class Meta:
        model = ImportJob
        fields = (
            *("id", "status", "phase", "percent", "rows", "rows_done", "format", "dry_run"),
            *("atomic", "created", "updated", "unchanged", "rejected", "errors"),
            *("errors_omitted", "summary", "failure", "created_at", "started_at", "finished_at"),
        )
        read_only_fields = fields

    def get_errors_omitted(self, job) -> int:
        return job.rejected - len(job.errors)

    @extend_schema_field(BulkSummarySerializer(allow_null=True))
    def get_summary(self, job) -> dict | None:
        if job.status != ImportStatus.DONE:
            return None
        names = ("dry_run", "atomic", "created", "updated", "unchanged", "rejected", "errors")
        return {name: getattr(job, name) for name in names}


FIGURE_COLUMNS = [f"{m}{s}" for m in METRICS for s in ("", "_low", "_high", "_cumulative")]
# Where an area's ancestors' p-codes and names come from, nearest first, for `values_list`.
ANCESTOR_SOURCES = tuple(
    f"area__{'parent__' * up}{name}" for up in (1, 2, 3) for name in ("pcode", "name_en", "name_ar")
)


COMPUTED_AT = serializers.DateTimeField()  # how DRF shows a timestamp, for FigureSerializer.row


@extend_schema_field({"type": "string", "nullable": True})
class PlaceField(serializers.Field):
    """One of PLACE_COLUMNS: the code or a name of the area's own level or of an ancestor's."""

    def __init__(self, column: str, **kwargs):
        self.column = column
        super().__init__(source="area", read_only=True, **kwargs)

    def to_representation(self, area):
        return area_place_columns(area)[self.column]


class FigureSerializer(SharedFieldsMixin, serializers.ModelSerializer):
    """One area's reconciled figures for one day: where the area is (its p-code, names, level,
    and each level's code and names down to it: `country_code` is ISO3, `adm1_code`... p-codes),
    for each metric the best estimate, low, high and cumulative; how many verified reports and
    agencies stand behind it and how many reports about it still wait for verification."""

    area = serializers.CharField(source="area.pcode")
    area_name = serializers.CharField(source="area.name_en")
    area_name_ar = serializers.CharField(source="area.name_ar")
    level = serializers.IntegerField(source="area.level")
    country_code = PlaceField("country_code")
    country_name = PlaceField("country_name")
    country_name_ar = PlaceField("country_name_ar")
    adm1_code = PlaceField("adm1_code")
    adm1_name = PlaceField("adm1_name")
    adm1_name_ar = PlaceField("adm1_name_ar")
    adm2_code = PlaceField("adm2_code")
    adm2_name = PlaceField("adm2_name")
    adm2_name_ar = PlaceField("adm2_name_ar")
    adm3_code = PlaceField("adm3_code")
    adm3_name = PlaceField("adm3_name")
    adm3_name_ar = PlaceField("adm3_name_ar")

    class Meta:
        model = DailyFigure
        fields = (
            "area",
            "area_name",
            "area_name_ar",
            "level",
            *PLACE_COLUMNS,
            "date",
            *FIGURE_COLUMNS,
            "report_count",
            "agency_count",
            "pending_reports",
            "computed_at",
        )
        read_only_fields = fields

    # Where each of Meta.fields comes from, for `values_list`: the area's own p-code, names and
    # level, its ancestors' (PLACE_COLUMNS are made from them), then the figure's own columns.
    SOURCES = (
        "area__pcode",
        "area__name_en",
        "area__name_ar",
        "area__level",
        *ANCESTOR_SOURCES,
        *Meta.fields[4 + len(PLACE_COLUMNS) :],
    )

    @classmethod
    def row(cls, values: tuple, stamps: dict) -> list:
        """One figure's `values_list(*SOURCES)` as the serializer would give its fields, without
        the cost of a serializer per row (a year of one area is 365 rows). `stamps`: the times
        shown so far, for the rows of one answer (a refresh writes one time for all its rows;
        DRF looks the time zone up again for each)."""
        level = values[3]
        chain = (values[0:3], values[4:7], values[7:10], values[10:13])
        day, *figures, computed = values[13:]
        if computed not in stamps:
            stamps[computed] = COMPUTED_AT.to_representation(computed)
        return [
            *values[0:4],
            *place_columns(level, chain),
            day.isoformat(),
            *figures,
            stamps[computed],
        ]


# What the public figures show: no pending reports (not verified), and what was withheld.
PUBLIC_COLUMNS = (*(name for name in FigureSerializer.Meta.fields if name != "pending_reports"),
                  "withheld")  # fmt: skip


class PublicFigureSerializer(FigureSerializer):
    """A daily figure as published without a token: small numbers withheld (null), and
    `withheld` naming what was."""

    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="What is withheld to protect small numbers: a metric (its value, low and "
        "high), or `<metric>_cumulative`. A withheld number is null; a null not named here was "
        "not reported.",
    )

    class Meta(FigureSerializer.Meta):
        fields = PUBLIC_COLUMNS
        read_only_fields = fields


class FigureChangeSerializer(FigureSerializer):
    """A figure cell as one change made it, from `valid_from` on; `removed`: a tombstone, the
    cell has no figures any more (its metrics are null, its counts 0)."""

    removed = serializers.BooleanField()
    valid_from = serializers.DateTimeField()

    class Meta(FigureSerializer.Meta):
        fields = (*FigureSerializer.Meta.fields, "removed", "valid_from")
        read_only_fields = fields

    SOURCES = (*FigureSerializer.SOURCES, "removed", "valid_from")

    @classmethod
    def row(cls, values: tuple, stamps: dict) -> list:
        *figure, removed, valid_from = values
        return [*FigureSerializer.row(tuple(figure), stamps), removed,
                COMPUTED_AT.to_representation(valid_from)]  # fmt: skip


class FigureChangePageSerializer(serializers.Serializer):
    """A page of the figures change feed."""

    next = serializers.URLField(
        help_text="This feed from after the last change listed: follow it until a page is "
        "empty, then keep it to ask again later."
    )
    results = FigureChangeSerializer(many=True)


class FigureReleaseSerializer(serializers.ModelSerializer):
    """A named, frozen snapshot of the figures: `GET /figures/daily/?release=<id>` serves them,
    the same on every download, as they were at `as_of`."""

    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = FigureRelease
        fields = ("id", "name", "as_of", "notes", "created_at", "created_by")
        read_only_fields = fields


class TokenSerializer(serializers.ModelSerializer):
    """An API token as its agency and staff see it: never the key, only its first characters."""

    user = serializers.CharField(source="user.username", read_only=True)
    agency = serializers.CharField(source="user.agency.code", read_only=True, allow_null=True)
    revoked_by = serializers.CharField(
        source="revoked_by.username", read_only=True, allow_null=True
    )
    status = serializers.ChoiceField(choices=TokenStatus.choices, read_only=True)

    class Meta:
        model = ApiToken
        fields = (
            "id",
            "prefix",
            "user",
            "agency",
            "status",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
            "revoked_reason",
        )
        read_only_fields = fields
