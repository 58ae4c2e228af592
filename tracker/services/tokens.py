"""Issuing, revoking and rotating API tokens. A key is returned once, by the function that
makes it; the tracker keeps only its digest and first characters."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.errors import StateError
from tracker.models import ApiToken, User
from tracker.models.tokens import PREFIX_LENGTH, key_digest, new_key

ROTATED = "rotated"


def token_expiry(start: datetime) -> datetime:
    return start + timedelta(days=settings.TOKEN_TTL_DAYS)


@transaction.atomic
def token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for TOKEN_TTL_DAYS, and its key (shown once)."""
    key, now = new_key(), timezone.now()
    token = ApiToken(
        user=user,
        digest=key_digest(key),
        prefix=key[:PREFIX_LENGTH],
        created_at=now,
        expires_at=token_expiry(now),
    )
    token.full_clean(exclude=["user"])
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User | None, reason: str) -> ApiToken:
    """Mark a token revoked (it stays listed); revoking it again changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by, token.revoked_reason = timezone.now(), by, reason
        token.full_clean(exclude=["user", "revoked_by"])
        token.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    return token


@transaction.atomic
def token_rotate(*, token: ApiToken, by: User | None) -> tuple[ApiToken, str]:
    """Revoke `token` and issue its user a new one (a revoked token is not replaced: 409)."""
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=False).exists():
        raise StateError(f"Token {token.prefix}… was revoked: it is not replaced.")
    token_revoke(token=token, by=by, reason=ROTATED)
    return token_issue(user=token.user)


@transaction.atomic
def user_tokens_rotate(*, users: Iterable[User], by: User | None) -> list[tuple[User, str]]:
    """Revoke each user's live tokens and issue each one new token; the new keys, by user."""
    now, issued = timezone.now(), []
    for user in users:
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
        for token in live:
            token_revoke(token=token, by=by, reason=ROTATED)
        issued.append((user, token_issue(user=user)[1]))
    return issued


def token_touch(*, token: ApiToken, now: datetime) -> None:
    """Note that `token` was used, at most once a minute (a write per request would cost more
    than the request)."""
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
