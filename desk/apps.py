from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agent desk: agents' daily views, served inside the admin site (/admin/desk/)."""

    name = "desk"
    verbose_name = "Agent desk"
