import dataclasses

import pytest

from entitlements import engine


@pytest.fixture
def engine_decides(monkeypatch):
    """Replace the engine's decision for some departments (by code) to test what the
    wizard renders; other departments get the real engine's answer."""
    real = engine.evaluate
    decisions: dict[str, engine.Decision] = {}

    def fake(*, contact, department, **kwargs):
        decision = decisions.get(department.code)
        if decision is None:
            return real(contact=contact, department=department, **kwargs)
        paying = decision.paying_organization_id or contact.organization_id
        return dataclasses.replace(decision, paying_organization_id=paying)

    real_many = engine.evaluate_departments

    def fake_many(*, contact, departments=None, **kwargs):
        return [(department, fake(contact=contact, department=department)
                 if department.code in decisions else decision)
                for department, decision in real_many(contact=contact, departments=departments,
                                                      **kwargs)]

    real_catalogue = engine.evaluate_catalogue

    def fake_catalogue(*, contact, departments, **kwargs):
        return [(department, fake(contact=contact, department=department), [])
                if department.code in decisions else (department, decision, items)
                for department, decision, items in real_catalogue(
                    contact=contact, departments=departments, **kwargs)]

    monkeypatch.setattr(engine, "evaluate", fake)
    monkeypatch.setattr(engine, "evaluate_departments", fake_many)
    monkeypatch.setattr(engine, "evaluate_catalogue", fake_catalogue)
    return decisions


@pytest.fixture
def agent_client(client, two_orgs):
    """The demo agent (Agents group), signed in."""
    from tests.tickets.agent_setup import make_agent

    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    return client
