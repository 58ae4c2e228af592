"""Metrics for Prometheus at `/metrics`, for the bearer of METRICS_TOKEN only (off without it).

- requests: latency and status by endpoint (django-prometheus' middleware:
  `django_http_requests_latency_seconds_by_view_method`,
  `django_http_responses_total_by_status_view_method`);
- tasks: duration and outcome by task, failures (`tracker_task_*`, written by the workers:
  tasks/observe.py);
- the figures and the desk, read when Prometheus scrapes, in two cheap queries:
  `tracker_figures_lag_seconds`, `tracker_stale_figures`, `tracker_reports_pending`,
  `tracker_revisions_pending`.

gunicorn's workers and the Celery workers are separate processes: with PROMETHEUS_MULTIPROC_DIR
set (the recipe sets it), each writes its metrics to files there and this view adds them up
(prometheus_client's multiprocess mode), so any web worker answers for all of them.
"""

import hmac
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from tracker.selectors import figures_lag, reports_waiting


class FiguresCollector:
    """The figures' lag and what waits for the workers and the verifiers, at scrape time."""

    def collect(self):
        try:
            lag, waiting = figures_lag(), reports_waiting()
        except DatabaseError:
            return  # the database is down: /healthz says so; these series go missing
        yield GaugeMetricFamily(
            "tracker_figures_lag_seconds",
            "How long the oldest stale figure record has waited for a refresh (0: none waits).",
            value=lag.seconds,
        )
        yield GaugeMetricFamily(
            "tracker_stale_figures",
            "Stale figure records (an area, an agency, its days) waiting for a refresh.",
            value=lag.stale,
        )
        yield GaugeMetricFamily(
            "tracker_reports_pending",
            "Reports waiting for verification.",
            value=waiting["reports"],
        )
        yield GaugeMetricFamily(
            "tracker_revisions_pending",
            "Corrections of verified reports waiting for verification.",
            value=waiting["revisions"],
        )


class _ThisProcess:
    """The default registry's metrics (one process: tests, runserver)."""

    def collect(self):
        return REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(FiguresCollector())
    return registry


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("Authorization: Bearer <METRICS_TOKEN> is needed.", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
