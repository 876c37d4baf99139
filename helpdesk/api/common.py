"""What the API views share: Django forms as the validators (the pages' rules, their
messages in the user's language), the Idempotency-Key header, documented error responses."""

from __future__ import annotations

import uuid

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

IDEMPOTENCY_KEY_INVALID = _("The Idempotency-Key header must be 1 to 100 printable characters.")
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d2b1e-9a3c-4c55-8d8a-2f4f4ad1e0a1")

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID is best). Sending the same request again with "
                "the same key returns the first result and changes nothing.")


def form_or_400(form):
    """The bound form's cleaned data, or a 400 carrying its errors (field by field)."""
    if not form.is_valid():
        errors = {("non_field_errors" if name == "__all__" else name): messages
                  for name, messages in form.errors.items()}
        raise exceptions.ValidationError(errors)
    return form.cleaned_data


def files_of(request, name: str = "attachments") -> MultiValueDict:
    return MultiValueDict({name: request.FILES.getlist(name)}) if request.FILES else \
        MultiValueDict()


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise exceptions.ValidationError({"Idempotency-Key": [IDEMPOTENCY_KEY_INVALID]})
    return key


def idempotency_uuid(request, *, scope: str) -> uuid.UUID | None:
    """The header as a UUID, per user and per kind of request (a ticket's submission key)."""
    key = idempotency_key(request)
    if key is None:
        return None
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{scope}:{request.user.pk}:{key}")
