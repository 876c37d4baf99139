"""A view that logs and queues a task (request id tests)."""

import logging

from celery import shared_task
from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("tests.request_id")


@shared_task(name="tests.request_id.log_line")
def log_line(text: str) -> None:
    logger.warning("task says %s", text)


def logs_and_queues(request):
    logger.warning("view says hello")
    log_line.delay("hello")
    return HttpResponse("ok")


urlpatterns = [path("logs-and-queues/", logs_and_queues)]
