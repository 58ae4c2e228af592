"""Figures: recompute what changes made stale. Idempotent, so acknowledged late and retried."""

from celery import shared_task
from django.db import DatabaseError

from tracker.services.figures import figures_refresh, refresh_dequeued


@shared_task(
    name="tracker.refresh_figures",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def refresh_figures() -> int:
    """Recompute the figures of every area recorded as stale."""
    refresh_dequeued()
    return figures_refresh()
