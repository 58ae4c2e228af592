from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.filters import ReportFilter
from api.idempotency import IdempotentMixin
from api.pagination import ReportPagination
from api.parameters import DocumentedQueryOnly
from api.permissions import ReportPermission
from api.rows import RowParser, SubmitRowParser
from api.schema import (
    ETAG,
    IF_MATCH,
    STALE,
    ConflictSerializer,
    error,
    response_header,
)
from api.serializers import (
    OptionalReasonSerializer,
    ReasonSerializer,
    ReportInputSerializer,
    ReportSerializer,
    ReportSubmitSerializer,
)
from tracker import services
from tracker.models import Report
from tracker.selectors import reports_visible_to

WRONG_STATE = (
    "The report is not in a state that allows this (editing a rejected or withdrawn report, "
    "verifying a withdrawn one, reopening one that is not rejected)"
)
STATE = error(WRONG_STATE, ConflictSerializer)
STATE_OR_IN_FLIGHT = error(
    f"{WRONG_STATE}, or the same `Idempotency-Key`'s first request is still running",
    ConflictSerializer,
)
DUPLICATE = error(
    "The same statement as one of your reports (`duplicate_of` names it), the report is not in "
    "a state that allows this, or the same `Idempotency-Key`'s first request is still running",
    ConflictSerializer,
)
ETAG_ALWAYS = response_header("ETag", "The report's version, for `If-Match`.", [200], True)
LOCATION = response_header("Location", "The report's URL.", [200, 201], required=True)


def if_match(request) -> list[str] | None:
    """The ETags of `If-Match`; None without one, or for `*` (any version)."""
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return None
    return [tag.strip().removeprefix("W/") for tag in wanted.split(",")]


class ReportViewSet(
    IdempotentMixin,
    DocumentedQueryOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reports: one agency's counts for one area over one period."""

    serializer_class = ReportSerializer
    query_parameters = {"destroy": ("reason",)}
    permission_classes = [IsAuthenticated, ReportPermission]
    filterset_class = ReportFilter
    pagination_class = ReportPagination
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Report.objects.none()
        return reports_visible_to(self.request.user)

    def _answer(self, report: Report, code=status.HTTP_200_OK) -> Response:
        data = ReportSerializer(report, context=self.get_serializer_context()).data
        return Response(data, status=code, headers={"ETag": report.etag()})

    @extend_schema(parameters=[ETAG_ALWAYS])
    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(
        request=ReportSubmitSerializer,
        parameters=[ETAG, LOCATION],
        responses={201: ReportSerializer, 200: ReportSerializer, 409: DUPLICATE},
    )
    def create(self, request):
        """Submit a report. Re-posting an `external_id` corrects that report (200), never a copy:
        a pending report in place, a verified one as its pending revision. The same statement as
        one of your pending or verified reports is refused (409, `duplicate_of`) unless
        `"duplicate": "confirmed"`."""
        fields = SubmitRowParser().valid(request.data)
        confirmed = fields.pop("duplicate", None) == "confirmed"
        user = request.user
        report, outcome = services.report_submit(
            agency=user.agency, submitted_by=user, duplicate_confirmed=confirmed, **fields
        )
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        response = self._answer(report, code)
        response["Location"] = f"{request.path}{report.pk}/"
        return response

    def _change(self, request, partial: bool) -> Response:
        report = self.get_object()
        fields = RowParser().valid(request.data, partial=partial)
        changes = fields if partial else services.restated(fields)
        report = services.report_update(
            report=report, user=request.user, if_match=if_match(request), **changes
        )
        return self._answer(report)

    @extend_schema(
        request=ReportInputSerializer,
        parameters=[IF_MATCH, ETAG_ALWAYS],
        responses={200: ReportSerializer, 409: STATE, 412: STALE},
    )
    def update(self, request, *args, **kwargs):
        """Replace a pending report's fields (its `external_id` stays unless given). On a
        verified report, the whole restatement becomes its pending revision."""
        return self._change(request, partial=False)

    @extend_schema(
        request=ReportInputSerializer(partial=True),
        parameters=[IF_MATCH, ETAG_ALWAYS],
        responses={200: ReportSerializer, 409: STATE, 412: STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        """Change some of a pending report's fields. On a verified report, its verified values
        with these changes become its pending revision."""
        return self._change(request, partial=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reason", required=False, description="Why it is withdrawn; needed when verified"
            )
        ],
        request=None,
        responses={204: None, 409: STATE},
    )
    def destroy(self, request, *args, **kwargs):
        """Withdraw a report: kept, with its history, and still listed as `withdrawn`."""
        report = self.get_object()
        given = OptionalReasonSerializer(data=request.query_params.dict())
        given.is_valid(raise_exception=True)
        services.report_withdraw(
            report=report, user=request.user, reason=given.validated_data.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, parameters=[ETAG], responses={200: ReportSerializer, 409: STATE_OR_IN_FLIGHT}
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Verify a pending report: it counts in the daily figures from now on. On a verified
        report with a pending revision, verify the revision: its values replace the report's."""
        report = services.report_verify(report=self.get_object(), user=request.user)
        return self._answer(report)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[ETAG],
        responses={200: ReportSerializer, 409: STATE_OR_IN_FLIGHT},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a pending or verified report, saying why. On a verified report with a pending
        revision, reject the revision: the report keeps its verified values."""
        return self._decide(request, services.report_reject)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[ETAG],
        responses={200: ReportSerializer, 409: STATE_OR_IN_FLIGHT},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Send a rejected report back to pending, saying why (verifiers)."""
        return self._decide(request, services.report_reopen)

    def _decide(self, request, service) -> Response:
        report = self.get_object()
        given = ReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        report = service(report=report, user=request.user, reason=given.validated_data["reason"])
        return self._answer(report)
