from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background tasks"

    def ready(self):
        from tasks import figures  # noqa: F401  registers how a figures refresh is enqueued
