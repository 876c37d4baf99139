"""The Celery application. Tasks are discovered in every installed app's tasks.py."""

import os

from celery import Celery

from helpdesk.request_id import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks log the id of the request that queued them (helpdesk.request_id).
connect_celery_signals()
