import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

KEY_START = "trk_"  # new keys start with it, so a leaked one is easy to recognise
PREFIX_LENGTH = 12  # what stays visible of a key once it is issued


def new_key() -> str:
    """A fresh API key: 240 random bits, URL-safe."""
    return KEY_START + secrets.token_urlsafe(30)


def key_digest(key: str) -> str:
    """What is stored of a key. One SHA-256 is enough for a random 240-bit secret: unlike a
    password, it cannot be guessed from a dictionary, and it is looked up on every request."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStatus(models.TextChoices):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ApiToken(models.Model):
    """An API key of one user. Only its digest and first characters are stored: the key itself
    is shown once, when issued. Revoked tokens are kept, marked; expired ones stay too."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, in hex.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="The key's first characters.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="To the minute.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when revoked by a command.",
    )
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="token_expires_after_created"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=False) | Q(revoked_by__isnull=True),
                name="token_revoked_by_only_when_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def status(self, now=None) -> TokenStatus:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE
