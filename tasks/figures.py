"""The figures' tasks: thin, the protocol is tracker.services.figures'. Both refresh from the
reports and replace, so they are acknowledged late and retried."""

from celery import shared_task
from django.db import DatabaseError

from tracker.services import figures

REFRESH_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 8,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="tracker.figures_refresh", ignore_result=True, **REFRESH_OPTIONS)
def figures_refresh() -> int:
    """The refresh a change enqueued: every stale cell there is when it starts."""
    return figures.figures_refresh(from_queue=True)


@shared_task(name="tracker.figures_sweep", ignore_result=True, **REFRESH_OPTIONS)
def figures_sweep() -> int:
    """The periodic sweep (Celery beat, every FIGURES_SWEEP_SECONDS)."""
    return figures.figures_sweep()


figures.figures_enqueue_with(
    # Not retried: should the broker fail, the sweep enqueues the refresh once it is back.
    enqueue=lambda: figures_refresh.apply_async(retry=False),
    in_process=lambda: figures_refresh.app.conf.task_always_eager,
)
