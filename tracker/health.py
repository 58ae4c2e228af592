"""Health for probes and load balancers: `/healthz` (ready to serve: every service the tracker
needs answers, and the figures keep up) and `/livez` (the process answers; no I/O at all).

`/healthz` runs django-health-check's checks, and two of the tracker's own, at once: the
database; with Redis (REDIS_URL), Redis itself (the cache), the Celery broker and at least one
live worker; and the figures' lag, the age of the oldest stale figure record against
FIGURES_LAG_LIMIT_SECONDS. 200 when all pass, 503 naming the failing ones. Anonymous callers see
each check's status and nothing else (no counts, no hosts); staff (a session) and Prometheus
(the METRICS_TOKEN) see why a check failed, how long each took and the figures' lag.
"""

import asyncio
import dataclasses
import datetime
import hmac

import redis
from asgiref.sync import sync_to_async
from celery import current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views import View
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable

from tracker.selectors import figures_lag

# How long the worker check waits for a worker to answer its ping.
WORKER_PING_SECONDS = 1.0


@dataclasses.dataclass
class Database(checks.Database):
    """SELECT 1 on the request's own connection (kept between requests), not a new one."""

    async def run(self):
        await sync_to_async(super().run)()


@dataclasses.dataclass
class Broker(HealthCheck):
    """The broker that carries refreshes to the workers answers (a Redis PING)."""

    def run(self):
        client = redis.Redis.from_url(current_app.conf.broker_url, **settings.REDIS_OPTIONS)
        try:
            client.ping()
        except redis.RedisError as error:
            problem = type(error).__name__
            raise ServiceUnavailable(f"the broker does not answer ({problem})") from None
        finally:
            client.close()


@dataclasses.dataclass
class FiguresLag(HealthCheck):
    """No stale figure record has waited longer than FIGURES_LAG_LIMIT_SECONDS for a refresh."""

    async def run(self):
        try:
            lag = await sync_to_async(figures_lag)()
        except DatabaseError:
            raise ServiceUnavailable("the stale figures cannot be read") from None
        limit = settings.FIGURES_LAG_LIMIT_SECONDS
        if lag.seconds > limit:
            raise ServiceUnavailable(
                f"the oldest stale figure has waited {lag.seconds:.0f} s (limit {limit} s); "
                "are the workers and beat running?"
            )


def health_checks() -> dict[str, HealthCheck]:
    """The checks by name: without Redis, tasks run in-process, so there is no broker to check."""
    found = {"database": Database()}
    if settings.REDIS_URL:
        ping = datetime.timedelta(seconds=WORKER_PING_SECONDS)
        worker = Ping(timeout=ping, limit=1)
        found |= {"redis": checks.Cache(), "broker": Broker(), "worker": worker}
    return found | {"figures_lag": FiguresLag()}


def sees_details(request: HttpRequest) -> bool:
    """Staff logged in to the admin, or Prometheus with the metrics token."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return request.user.is_staff
    except DatabaseError:  # a session to look up, and the database down: the checks say so
        return False


@transaction.non_atomic_requests
async def healthz(request: HttpRequest) -> JsonResponse:
    named = health_checks()
    results = dict(
        zip(named, await asyncio.gather(*(c.get_result() for c in named.values())), strict=True)
    )
    failing = [name for name, result in results.items() if result.error]
    answer = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {
            name: {"status": "failing" if result.error else "ok"}
            for name, result in results.items()
        },
    }
    if await sync_to_async(sees_details)(request):
        for name, result in results.items():
            answer["checks"][name]["seconds"] = round(result.time_taken, 4)
            if result.error:
                answer["checks"][name]["detail"] = str(result.error)
        if "database" not in failing:
            lag = await sync_to_async(figures_lag)()
            answer["figures"] = {"lag_seconds": round(lag.seconds, 1), "stale": lag.stale}
    response = JsonResponse(answer, status=503 if failing else 200)
    add_never_cache_headers(response)
    return response


class Livez(View):
    """The process answers: no database, no Redis, no session."""

    def get(self, request):
        response = JsonResponse({"status": "alive"})
        add_never_cache_headers(response)
        return response
