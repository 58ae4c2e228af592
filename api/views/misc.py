import sys

from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parameters import DocumentedQueryOnly
from tracker.middleware import (
    database_unavailable_response,
    is_database_unavailable,
    request_id,
)
from tracker.selectors import (
    database_answers,
    figures_lag,
    reports_waiting,
    service_health_for_staff,
)


class SchemaView(DocumentedQueryOnly, SpectacularAPIView):
    """The OpenAPI schema: YAML, or JSON with `format=json` or `Accept: application/json`."""

    query_parameters = {"get": ("lang",)}


class HealthView(DocumentedQueryOnly, APIView):
    """Whether the service is up and which database it reads; staff also see how many areas and
    reports it holds (reports: PostgreSQL's estimate) and what waits for the workers and the
    verifiers. Probes should use /healthz (every service) or /livez (the process alone)."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "areas": serializers.IntegerField(required=False, help_text="staff only"),
                "reports": serializers.IntegerField(required=False, help_text="staff only"),
                "reports_pending": serializers.IntegerField(required=False),
                "revisions_pending": serializers.IntegerField(required=False),
                "figures_lag_seconds": serializers.FloatField(required=False),
                "stale_figures": serializers.IntegerField(required=False),
            },
        )
    )
    def get(self, request):
        if not request.user.is_staff:
            database_answers()
            return Response({"status": "ok", "database": connection.vendor})
        waiting, lag = reports_waiting(), figures_lag()
        return Response(
            {
                "status": "ok",
                **service_health_for_staff(),
                "reports_pending": waiting["reports"],
                "revisions_pending": waiting["revisions"],
                "figures_lag_seconds": round(lag.seconds, 1),
                "stale_figures": lag.stale,
            }
        )


class MeView(DocumentedQueryOnly, APIView):
    """Who the token belongs to: check a token before a sync script relies on it."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "agency": serializers.CharField(allow_null=True),
                "role": serializers.CharField(),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "agency": user.agency.code if user.agency_id else None,
                "role": user.role,
            }
        )


def not_found(request, exception=None):
    """404 for a URL that matches nothing: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "No such resource."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """An error no view handled. The database being down is a 503 even here (a middleware's
    query failed); anything else a 500 naming the request id, which its logged traceback has."""
    error = sys.exc_info()[1]
    if error is not None and is_database_unavailable(error):
        return database_unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": "The server failed; the request was not applied.",
                "request_id": request_id.get(),
            },
            status=500,
        )
    return defaults.server_error(request)
