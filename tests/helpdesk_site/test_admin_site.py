"""The helpdesk's admin site: the stock app list on the index and app pages."""

import pytest
from django.contrib import admin
from django.urls import reverse

from helpdesk.admin_site import HelpdeskAdminSite
from tests.tickets.agent_setup import make_agent

pytestmark = pytest.mark.django_db


def test_the_default_admin_site_is_the_workspace_site():
    assert isinstance(admin.site, HelpdeskAdminSite)
    assert admin.site.enable_nav_sidebar is False
    assert str(admin.site.site_header) == "Helpdesk · agent workspace"


def test_the_index_lists_the_apps_an_agent_may_see(client, two_orgs):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    response = client.get(reverse("admin:index"))
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert "tickets" in labels and "credits" in labels
    html = response.content.decode()
    assert reverse("admin:tickets_ticket_changelist") in html


def test_an_app_page_lists_its_models(client, two_orgs):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    response = client.get(reverse("admin:app_list", args=["tickets"]))
    assert response.status_code == 200
    assert reverse("admin:tickets_ticket_changelist") in response.content.decode()
    # an app the agent has no permission in: a 404
    assert client.get(reverse("admin:app_list", args=["auth"])).status_code == 404
