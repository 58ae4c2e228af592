from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from tracker.models import TokenStatus
from tracker.selectors import token_by_key
from tracker.services import token_touch


class AgencyTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: the token, its user and the user's agency in one query,
    found by the key's digest. Expired and revoked tokens are refused, saying so."""

    def authenticate_credentials(self, key):
        token = token_by_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        status = token.status(now)
        if status == TokenStatus.REVOKED:
            raise exceptions.AuthenticationFailed(
                f"This token ({token.prefix}…) was revoked on {token.revoked_at:%Y-%m-%d %H:%M} "
                "UTC. Use a token your agency issues you instead."
            )
        if status == TokenStatus.EXPIRED:
            raise exceptions.AuthenticationFailed(
                f"This token ({token.prefix}…) expired on {token.expires_at:%Y-%m-%d %H:%M} UTC. "
                "Ask for a new one."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        token_touch(token=token, now=now)
        return token.user, token
