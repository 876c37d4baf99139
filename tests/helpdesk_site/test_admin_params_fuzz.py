"""Every admin page answers bad query parameters with the page (the value ignored), a 400 or
a redirect, never a 500; and every object's page opens for a superuser and a view-only
agent. The models and their filters come from the admin site itself, so a model or a filter
added later is fuzzed too."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

BAD_VALUES = ("all", "-1", "99999999999999999999999", "'", "\x00", "2026-13-45", "a" * 300)
# Parameters every change list reads besides its filters.
LIST_PARAMETERS = ("o", "p", "q", "e", "all", "_popup", "_to_field")


def _registered():
    return [(model, admin.site.get_model_admin(model)) for model in apps.get_models()
            if admin.site.is_registered(model)]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _parameters(model_admin) -> set[str]:
    names = set(LIST_PARAMETERS)
    for item in model_admin.list_filter:
        if isinstance(item, str):
            names.update({item, f"{item}__exact", f"{item}__id__exact", f"{item}__isnull"})
        elif isinstance(item, tuple):
            names.update({item[0], f"{item[0]}__exact"})
        else:
            names.add(getattr(item, "parameter_name", "") or "")
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names.update({f"{field}__year", f"{field}__month", f"{field}__day"})
    return names - {""}


@pytest.fixture
def client():
    """Server errors come back as 500 responses, so one run lists them all."""
    return Client(raise_request_exception=False)


@pytest.fixture
def demo_users():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    return {"superuser": User.objects.get(email="admin@helpdesk.example"),
            "agent": User.objects.get(email="agent@helpdesk.example")}


@pytest.mark.parametrize("role", ["superuser", "agent"])
def test_no_bad_query_parameter_is_a_server_error(client, demo_users, role):
    client.force_login(demo_users[role])
    failures = []
    for model, model_admin in _registered():
        url = _url(model, "changelist")
        if client.get(url).status_code != 200:
            continue  # a model this role may not see: its refusal is tested elsewhere
        for name in sorted(_parameters(model_admin)):
            for value in BAD_VALUES:
                status = client.get(url, {name: value}).status_code
                if status >= 500 or status not in (200, 302, 400):
                    failures.append((url, name, value, status))
    assert not failures, "\n".join(map(repr, failures))


@pytest.mark.parametrize("role", ["superuser", "agent"])
def test_every_object_page_opens(client, demo_users, role):
    client.force_login(demo_users[role])
    failures = []
    opened = 0
    for model, model_admin in _registered():
        obj = model_admin.get_queryset(_request(demo_users[role])).first()
        if obj is None or not model_admin.has_view_permission(_request(demo_users[role]), obj):
            continue
        status = client.get(_url(model, "change", obj.pk), follow=True).status_code
        opened += 1  # (a ticket's page opens on the desk: followed)
        if status != 200:
            failures.append((model._meta.label, status))
    assert failures == []
    assert opened >= 10  # the demo data gives most pages an object


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request
