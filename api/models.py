from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST with an `Idempotency-Key`, replayed to retries of it.

    Scoped to the caller, method, path and query string; `body_hash` tells a retry from a different
    request that reuses the key. `status` is null while the first request is still being processed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    query = models.CharField(
        max_length=64, blank=True, default="", help_text="Hash of the query string; empty without."
    )
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(default=b"", help_text="The first response's body, as sent.")
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "method", "path", "query", "key"],
                name="idempotency_key_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"
