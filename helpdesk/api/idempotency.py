"""`@idempotent` on an API write: with an Idempotency-Key header, the first successful
answer is kept (accounts.idempotency) and a repeat of the request with the same key gets it
again (header Idempotent-Replayed: true) without doing the write twice. The same key on
another endpoint, or while the first request still runs, is a 409."""

from __future__ import annotations

from functools import wraps

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts import idempotency

from .common import idempotency_key

KEY_REUSED = _("This Idempotency-Key was already used for another request.")
KEY_IN_FLIGHT = _("A request with this Idempotency-Key is still being processed.")
REPLAYED_HEADER = "Idempotent-Replayed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def idempotent(method):
    @wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None:
            return method(view, request, *args, **kwargs)
        row, first = idempotency.idempotency_claim(user=request.user, key=key,
                                                   method=request.method, path=request.path)
        if not first:
            if (row.method, row.path) != (request.method, request.path[:300]):
                raise Conflict(KEY_REUSED)
            if not row.status_code:
                raise Conflict(KEY_IN_FLIGHT)
            return Response(row.response, status=row.status_code,
                            headers={REPLAYED_HEADER: "true"})
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            idempotency.idempotency_release(row=row)
            raise
        if 200 <= response.status_code < 300:
            idempotency.idempotency_answer(row=row, status_code=response.status_code,
                                           response=response.data)
        else:
            idempotency.idempotency_release(row=row)
        return response
    wrapper.idempotent = True
    return wrapper
