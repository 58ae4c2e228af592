"""API_RATE_LIMIT per user, and PUBLIC_RATE per client address for calls without a token,
counted in fixed windows: one counter per user and window, in the
cache's Redis with one round trip (INCR, and EXPIRE on the window's first request: Redis' own
rate-limiter pattern), or in the local cache without Redis. DRF's own throttle keeps, and pickles
on every request, the time of every request in the window; Django's cache API takes three round
trips to add to a counter."""

import time
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as local_cache
from rest_framework.throttling import SimpleRateThrottle


@cache
def _redis() -> redis.Redis | None:
    where = settings.CACHES["default"]
    if where["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return None
    return redis.Redis.from_url(where["LOCATION"], **where["OPTIONS"])  # bounded timeouts


class TokenRateThrottle(SimpleRateThrottle):
    """One budget per user (so per token); anonymous calls are refused earlier. Up to twice the
    rate can pass around the end of a window, as with any fixed window."""

    scope = "token"
    seconds_left = 1

    def allow_request(self, request, view):
        caller = self.caller(request)
        if self.rate is None or caller is None:
            return True
        now = int(time.time())
        window = now // self.duration
        self.seconds_left = (window + 1) * self.duration - now
        key = f"tracker:rate:{self.scope}:{caller}:{window}"
        return self._count(key) <= self.num_requests

    def caller(self, request) -> str | None:
        """Whose budget a request counts against; None: not counted here."""
        return request.user.pk if request.user and request.user.is_authenticated else None

    def _count(self, key: str) -> int:
        client, expiry = _redis(), self.duration + 1
        if client is None:  # one process's cache: no two requests count at once
            local_cache.add(key, 0, expiry)
            return local_cache.incr(key)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, expiry, nx=True)
        try:
            return pipe.execute()[0]
        except redis.RedisError:  # cannot count: let it in (a field report outweighs the limit)
            return 0

    def wait(self):
        return max(self.seconds_left, 1)


class AddressRateThrottle(TokenRateThrottle):
    """PUBLIC_RATE per client address, for the public figures (no token, so no user)."""

    scope = "public"

    def caller(self, request) -> str:
        return client_address(request)


def client_address(request) -> str:
    """The client's address: the connection's, or, behind FORWARDED_FOR_PROXIES reverse
    proxies that each append the address they saw to X-Forwarded-For, the one the farthest of
    them saw. Anything before that in the header is the client's to write, so never trusted."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.FORWARDED_FOR_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    seen = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies and seen:
        address = seen[-min(proxies, len(seen))]
    return address[:64]  # a key, not an address to use
