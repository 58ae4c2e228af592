"""API_RATE_LIMIT per user, counted by django-ratelimit in fixed windows: one cache counter per
user and window, where DRF's own throttle keeps (and pickles, on every request) the time of
every request in the window."""

from django_ratelimit.core import get_usage
from rest_framework.throttling import SimpleRateThrottle


def _user(group, request) -> str:
    return str(request.user.pk)


class TokenRateThrottle(SimpleRateThrottle):
    """One budget per user (so per token); anonymous calls are refused earlier. Up to twice the
    rate can pass around the end of a window, as with any fixed window."""

    scope = "token"
    seconds_left = 1

    def allow_request(self, request, view):
        if self.rate is None or not (request.user and request.user.is_authenticated):
            return True
        usage = get_usage(
            request,
            group=f"api-{self.scope}",
            key=_user,
            rate=(self.num_requests, self.duration),
            increment=True,
        )
        if usage is None:  # the cache could not count it (RATELIMIT_FAIL_OPEN)
            return True
        self.seconds_left = usage["time_left"]
        return not usage["should_limit"]

    def wait(self):
        return max(self.seconds_left, 1)
