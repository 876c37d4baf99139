"""A request id on every log record of a request, and of the Celery tasks it queues.

RequestIdMiddleware (helpdesk.middleware) sets it for the request: the X-Request-ID of a
trusted proxy (settings.REQUEST_ID_TRUST_HEADER; with TRUSTED_PROXIES set, only from one of
them: ProxyHeadersMiddleware) or a new one; the response carries it back.
RequestIdFilter puts it on every log record (as `request_id`, "-" outside a request). A task
published during the request carries it in its message headers (before_task_publish), and
the worker sets it while the task runs (task_prerun / task_postrun); tasks run eagerly in
the request share its context and so its id."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

NO_REQUEST_ID = "-"
HEADER = "request_id"  # the Celery message header
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST_ID)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from_header(value: str | None) -> str | None:
    """The proxy's id when it is a sane token (it lands in logs and a response header)."""
    if value and VALID_REQUEST_ID.match(value):
        return value
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# --- Celery -------------------------------------------------------------------------------

_task_tokens: dict[str, object] = {}


def task_publish_add_request_id(*, headers: dict | None = None, **_kwargs) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id != NO_REQUEST_ID:
        headers.setdefault(HEADER, request_id)


def _task_request_id(task) -> str | None:
    request = task.request
    found = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return request_id_from_header(found)


def task_prerun_set_request_id(*, task_id: str, task, **_kwargs) -> None:
    request_id = _task_request_id(task)
    if request_id:
        _task_tokens[task_id] = request_id_var.set(request_id)


def task_postrun_reset_request_id(*, task_id: str, **_kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_publish_add_request_id, weak=False,
                                dispatch_uid="helpdesk-request-id-publish")
    task_prerun.connect(task_prerun_set_request_id, weak=False,
                        dispatch_uid="helpdesk-request-id-prerun")
    task_postrun.connect(task_postrun_reset_request_id, weak=False,
                         dispatch_uid="helpdesk-request-id-postrun")
