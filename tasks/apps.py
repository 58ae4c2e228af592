from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background tasks"

    def ready(self):
        # Register how a figures refresh is enqueued and how a bulk import is sent.
        from tasks import figures, imports  # noqa: F401
