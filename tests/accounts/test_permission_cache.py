"""Permission sets are kept in the cache between requests, and dropped as soon as a group,
a membership or a user's flags change."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import permission_cache
from accounts.models import User
from tests.tickets.agent_setup import make_agent

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:tickets_ticket_changelist")


def permission_queries(client, url=QUEUE):
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [q for q in captured.captured_queries if "auth_permission" in q["sql"]]


@pytest.fixture(autouse=True)
def _permission_cache_on(settings):
    settings.PERMISSION_CACHE = True  # on with Redis; here on whatever cache the tests use


@pytest.fixture
def agent_client(client, two_orgs):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    return client


def test_the_second_request_reads_no_permission_table(agent_client):
    status, first = permission_queries(agent_client)
    assert status == 200 and len(first) == 2  # the user's own and the groups' permissions
    status, second = permission_queries(agent_client)
    assert status == 200 and second == []


def test_leaving_the_agents_group_takes_effect_at_once(agent_client, two_orgs):
    permission_queries(agent_client)
    two_orgs.agent.groups.remove(Group.objects.get(name="Agents"))
    assert agent_client.get(QUEUE).status_code == 403


def test_a_permission_taken_from_the_group_takes_effect_at_once(agent_client):
    permission_queries(agent_client)
    agents = Group.objects.get(name="Agents")
    ticket_perms = Permission.objects.filter(codename__in=["view_ticket", "change_ticket"])
    agents.permissions.remove(*ticket_perms)  # change implies view in the admin
    assert agent_client.get(QUEUE).status_code == 403
    agents.permissions.add(*ticket_perms)
    assert agent_client.get(QUEUE).status_code == 200


def test_a_demoted_superuser_loses_every_permission(client):
    boss = User.objects.create_superuser(email="boss@helpdesk.example", password="x" * 12)
    client.force_login(boss)
    assert client.get(reverse("admin:catalog_product_changelist")).status_code == 200
    # A superuser's set is every permission; read through the backends, it is cached.
    assert "tickets.view_ticket" in User.objects.get(pk=boss.pk).get_all_permissions()
    boss.refresh_from_db()
    boss.is_superuser = False
    boss.save()
    assert client.get(QUEUE).status_code == 403


def test_a_lost_generation_means_every_set_is_read_again(agent_client, two_orgs):
    """A change made behind the ORM's back shows once the generation is gone (a restarted
    cache, or its MAX_AGE_SECONDS backstop)."""
    permission_queries(agent_client)
    User.groups.through.objects.filter(user_id=two_orgs.agent.pk).delete()  # no m2m signal
    assert agent_client.get(QUEUE).status_code == 200  # still cached: within the backstop
    cache.delete(permission_cache.GENERATION_KEY)
    assert agent_client.get(QUEUE).status_code == 403


def test_without_the_setting_every_request_reads_the_permissions(agent_client, settings):
    settings.PERMISSION_CACHE = False
    permission_queries(agent_client)
    status, again = permission_queries(agent_client)
    assert status == 200 and len(again) == 2


def test_each_user_gets_their_own_set(client, two_orgs):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    assert client.get(QUEUE).status_code == 200
    customer = two_orgs.maria
    customer.is_staff = True  # staff, but in no group: no permission of the agents' set
    customer.save()
    client.force_login(customer)
    assert client.get(QUEUE).status_code == 403


def test_a_set_read_before_the_change_commits_is_not_kept(agent_client, two_orgs,
                                                           django_capture_on_commit_callbacks):
    """Between the membership change (its signal) and its commit, another request can still
    read the old rows: the generation moves again at commit, so that set is not served."""
    with django_capture_on_commit_callbacks(execute=True):
        two_orgs.agent.groups.remove(Group.objects.get(name="Agents"))
        # a request in that window: stale rows cached under the signal's generation
        stale = {"tickets.view_ticket", "tickets.change_ticket"}
        permission_cache.cached_permissions(user_id=two_orgs.agent.pk, compute=lambda: stale)
    assert agent_client.get(QUEUE).status_code == 403
