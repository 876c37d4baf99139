"""What the API views share: Django forms as the validators (the pages' rules, their
messages in the user's language), the Idempotency-Key header, documented error responses."""

from __future__ import annotations

import re
import uuid

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

IDEMPOTENCY_KEY_INVALID = _("The Idempotency-Key header must be 1 to 100 printable characters.")
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,100}$"  # visible ASCII, no spaces
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d2b1e-9a3c-4c55-8d8a-2f4f4ad1e0a1")

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID is best). Sending the same request again with "
                "the same key returns the first result and changes nothing.")


def form_or_400(form, rename=None):
    """The bound form's cleaned data, or a 400 carrying its errors (field by field, under
    the request body's names: `rename` maps a form field's name to the body's)."""
    if not form.is_valid():
        errors: dict = {}
        for name, messages in form.errors.items():
            attr = "non_field_errors" if name == "__all__" else (rename or {}).get(name, name)
            errors.setdefault(attr, []).extend(messages)
        raise exceptions.ValidationError(errors)
    return form.cleaned_data


def files_of(request, name: str = "attachments") -> MultiValueDict:
    return MultiValueDict({name: request.FILES.getlist(name)}) if request.FILES else \
        MultiValueDict()


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not re.match(IDEMPOTENCY_KEY_PATTERN, key):
        raise exceptions.ValidationError({"non_field_errors": [IDEMPOTENCY_KEY_INVALID]})
    return key


def idempotency_uuid(request, *, scope: str) -> uuid.UUID | None:
    """The header as a UUID, per user and per kind of request (a ticket's submission key)."""
    key = idempotency_key(request)
    if key is None:
        return None
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{scope}:{request.user.pk}:{key}")


IDEMPOTENCY_KEY_REQUIRED_PARAMETER = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER, required=True,
    description="Required: any unique string (a UUID is best). The same request with the "
                "same key returns the first result and books nothing twice.")
