"""The Celery app: `celery -A tasks worker` runs the tracker's background work."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("tasks.health", "tasks.maintenance", "tasks.figures", "tasks.imports")
# Celery's consumer, with a workaround that keeps the worker alive when Redis drops.
app.conf.worker_consumer = "tasks.consumer:Consumer"


@signals.setup_logging.connect
def _django_logging(**kwargs) -> None:
    """Workers and beat log as the web does (settings.LOGGING: JSON lines), not Celery's way."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
