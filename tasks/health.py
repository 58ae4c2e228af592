"""A task that shows a worker is up and reads the same database as the web service."""

from celery import shared_task

from tracker.selectors import service_health


@shared_task(name="tracker.health")
def health() -> dict:
    return service_health()
