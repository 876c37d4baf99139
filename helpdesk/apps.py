from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project package as an app: it registers the project's system checks."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from helpdesk import checks  # noqa: F401 (registers the checks)
