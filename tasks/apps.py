from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background tasks"

    def ready(self):
        # Register how a figures refresh is enqueued and how a bulk import is sent; a log line
        # and metrics for every task.
        from tasks import figures, imports, observe  # noqa: F401
