"""Housekeeping that Celery beat runs on a schedule."""

from celery import shared_task

from api.idempotency import purge_expired


@shared_task(name="tracker.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget `Idempotency-Key` answers older than 24 hours."""
    return purge_expired()
