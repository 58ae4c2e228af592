"""What the workers say about each task: a log line (its id, outcome and duration; Celery logs a
failure's traceback) and its metrics for Prometheus (tracker/metrics.py serves them)."""

import logging
import time

from celery import signals
from prometheus_client import Counter, Histogram

from tracker.logs import task_id as current_task_id

logger = logging.getLogger("tasks")

TASK_SECONDS = Histogram(
    "tracker_task_duration_seconds",
    "How long tasks ran, by task and outcome (success, failure, retry).",
    ["task", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TASK_FAILURES = Counter("tracker_task_failures", "Tasks that failed, by task.", ["task"])

_running: dict[str, tuple[float, object]] = {}  # task id: when it started, its log context


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs) -> None:
    _running[task_id] = (time.perf_counter(), _set_task_id(task_id))


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task=None, state: str | None = None, **kwargs):
    started, context = _running.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    state = state or "FAILURE"  # none: run in-process, it raised into its caller
    outcome = state.lower()
    TASK_SECONDS.labels(task.name, outcome).observe(seconds)
    if state == "FAILURE":
        TASK_FAILURES.labels(task.name).inc()
    duration_ms = round(seconds * 1000, 1)
    logger.log(
        logging.ERROR if state == "FAILURE" else logging.INFO,
        "Task %s %s in %.1f ms", task.name, outcome, duration_ms,
        extra={"task": task.name, "outcome": outcome, "duration_ms": duration_ms},
    )  # fmt: skip
    if context is not None:
        current_task_id.reset(context)


def _set_task_id(value: str | None):
    return current_task_id.set(value or "")
