"""Bulk import: small uploads are answered at once; larger ones are stored and answered 202,
with the job a worker runs to follow at `Location`."""

from dataclasses import asdict

from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.bulk import checked_rows, first_rows, upload_of
from api.exceptions import Unprocessable
from api.idempotency import HEADER, OTHER_BODY, IdempotentMixin, body_hash, query_hash
from api.parameters import DocumentedQueryOnly
from api.permissions import ReportPermission
from api.schema import FieldErrorsSerializer, response_header
from api.serializers import BulkSummarySerializer, ImportJobSerializer, ReportSubmitSerializer
from tracker import services
from tracker.models import ImportJob
from tracker.selectors import import_jobs_visible_to

POLL_SECONDS = 2  # Retry-After of an answer whose job is not finished


class BulkOptions(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Check only; write nothing.")
    atomic = serializers.BooleanField(
        default=True, help_text="All or nothing; false keeps the valid rows."
    )


BULK_REFUSED = PolymorphicProxySerializer(
    component_name="BulkRefused",
    serializers=[BulkSummarySerializer, FieldErrorsSerializer],
    resource_type_field_name=None,
    many=False,
)
JOB_LOCATION = response_header("Location", "The import job's URL.", [202], required=True)


def job_answer(job: ImportJob, code: int = status.HTTP_200_OK) -> Response:
    headers = {"Location": reverse("api:report-bulk-job", args=[job.pk])}
    if not job.finished:
        headers["Retry-After"] = str(POLL_SECONDS)
    return Response(ImportJobSerializer(job).data, status=code, headers=headers)


class ReportBulkView(IdempotentMixin, DocumentedQueryOnly, APIView):
    """Many reports at once: a JSON list, a CSV body (`text/csv`) or a CSV file upload (`file`)."""

    permission_classes = [IsAuthenticated, ReportPermission]
    action = "bulk"
    query_parameters = {"bulk": tuple(BulkOptions().fields)}

    @extend_schema(
        parameters=[BulkOptions, JOB_LOCATION],
        request={
            "application/json": ReportSubmitSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
        responses={
            200: BulkSummarySerializer,
            202: OpenApiResponse(
                ImportJobSerializer, description="Stored for a worker: follow `Location`."
            ),
            400: OpenApiResponse(
                BULK_REFUSED,
                description="A row was rejected and nothing was written (the summary, with "
                "each rejected row's errors), or the upload or its options are invalid "
                "(`{field: [messages]}`)",
            ),
        },
    )
    def post(self, request):
        """Rows are numbered from 1 (the first report after any CSV header). Each row is created,
        or corrects the agency's report with the same `external_id`. A new row repeating the
        statement of one of your reports, or of an earlier row, is rejected (its errors give
        `duplicate_of`) unless its `duplicate` is `confirmed`. The answer counts what was
        created, updated, unchanged and rejected, with each rejected row's errors. An upload of
        more than BULK_SYNC_ROWS rows is answered 202 with a job to follow at `Location`."""
        options = BulkOptions(data=request.query_params)
        options.is_valid(raise_exception=True)
        upload = upload_of(request)
        user, key = request.user, request.headers.get(HEADER, "")
        if key:  # a retry whose first answer is gone (purged, or lost to a server error)
            job = services.import_job_for_key(user=user, key=key, query=query_hash(request))
            if job is not None:
                if job.body_hash != body_hash(request):
                    raise Unprocessable(OTHER_BODY)
                return job_answer(job, status.HTTP_202_ACCEPTED)
        rows, count = first_rows(upload, settings.BULK_SYNC_ROWS)
        if count > settings.BULK_SYNC_ROWS:
            return self._store(request, upload, count, key, options.validated_data)
        checked, refused = checked_rows(rows)
        summary = services.reports_import(
            agency=user.agency, user=user, rows=checked, refused=refused, **options.validated_data
        )
        code = 400 if summary.atomic and summary.rejected else 200
        return Response(asdict(summary), status=code)

    def _store(self, request, upload, count: int, key: str, options: dict) -> Response:
        user, query = request.user, query_hash(request) if key else ""
        try:
            job = services.import_job_create(
                agency=user.agency, user=user, format=upload.format, data=upload.data, rows=count,
                body_hash=body_hash(request), idempotency_key=key, idempotency_query=query,
                **options,
            )  # fmt: skip
        except IntegrityError:  # the same key, sent twice at once
            job = services.import_job_for_key(user=user, key=key, query=query)
            if job is None:
                raise
            if job.body_hash != body_hash(request):
                raise Unprocessable(OTHER_BODY) from None
        job.refresh_from_db()  # without a broker it ran already
        return job_answer(job, status.HTTP_202_ACCEPTED)


class ImportJobView(DocumentedQueryOnly, RetrieveAPIView):
    """A bulk import stored for a worker: its status (`queued`, `running`, `done` or `failed`),
    how far it got and, once done, what it did (`summary`, as a small upload's answer)."""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated, ReportPermission]
    action = "retrieve"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return import_jobs_visible_to(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return job_answer(self.get_object())
