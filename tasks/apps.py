from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background tasks"

    def ready(self):
        # Register how a figures refresh is enqueued; a log line and metrics for every task.
        from tasks import figures, observe  # noqa: F401
