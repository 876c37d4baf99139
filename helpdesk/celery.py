"""The Celery application. Tasks are discovered in every installed app's tasks.py."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc(**_kwargs):
    """Each worker process, once loaded: see helpdesk/gc_tuning.py."""
    from helpdesk.gc_tuning import tune_gc

    tune_gc()
