"""The Celery app: `celery -A tasks worker` runs the tracker's background work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("tasks.health", "tasks.maintenance", "tasks.figures", "tasks.imports")
# Celery's consumer, with a workaround that keeps the worker alive when Redis drops.
app.conf.worker_consumer = "tasks.consumer:Consumer"
