import pytest

from tests.tickets.agent_setup import make_agent


@pytest.fixture
def agent_client(client, two_orgs):
    """The demo agent (Agents group), signed in."""
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    return client
