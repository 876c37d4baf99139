"""Sign-in with the customer portal against a real OpenID Connect provider (django-oauth-toolkit
in its own process on 127.0.0.1, tests/support/oidc_provider.py): the helpdesk runs in the
test client, the person's browser at the provider is `requests`, and the code, token, JWKS and
userinfo exchanges are real HTTP."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.admin.models import LogEntry

from accounts.forms import LOGIN_PORTAL_ONLY
from accounts.models import User
from accounts.oidc import PROBLEMS, SSO_SESSION_KEY
from tests.support.oidc_provider import CONSENT_CLIENT_ID
from tests.support.procs import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(settings, oidc_provider, two_orgs):
    for name, value in oidc_provider.rp_settings().items():
        setattr(settings, name, value)
    two_orgs.acme.portal_id = "ACME-1001"
    two_orgs.acme.save()
    return oidc_provider


def _authorize(client, next_url: str = "/tickets/") -> str:
    response = client.get("/sso/?" + urlencode({"next": next_url}))
    assert response.status_code == 302
    return response["Location"]


def _sign_in(client, portal, username: str, *, next_url: str = "/tickets/", **claims):
    password = portal.person_add(username, **claims)
    callback = portal.sign_in(_authorize(client, next_url), username=username,
                              password=password)
    assert callback.startswith("http://testserver/sso/callback/?"), callback
    return client.get(callback)


def _problem(response, code: str) -> None:
    assert response.status_code == PROBLEMS[code][2], response.content[:500]
    assert response.context["code"] == code
    assert str(PROBLEMS[code][1]) in response.content.decode()


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_existing_contact_signs_in_through_the_deep_link(client, portal, two_orgs):
    authorize_url = _authorize(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(portal.issuer + "/authorize/")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["scope"] == ["openid email profile"]

    password = portal.person_add("maria.portal", email="Maria@Acme.example",
                                 email_verified=True, name="María G.")
    response = client.get(portal.sign_in(authorize_url, username="maria.portal",
                                         password=password))
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert client.session["_auth_user_id"] == str(two_orgs.maria.pk)
    assert client.session[SSO_SESSION_KEY] is True
    page = client.get("/tickets/")
    assert page.status_code == 200 and b"My Tickets" in page.content
    # Deactivated by staff: the portal session ends with it.
    User.objects.filter(pk=two_orgs.maria.pk).update(is_active=False)
    assert client.get("/tickets/")["Location"].startswith("/accounts/login/")


def test_client_secret_basic_at_the_token_endpoint(client, portal, settings, two_orgs):
    settings.OIDC_TOKEN_USE_BASIC_AUTH = True
    response = _sign_in(client, portal, "maria.basic", email="maria@acme.example",
                        email_verified=True)
    assert response.status_code == 302 and _signed_in(client)


def test_deep_link_keeps_next_on_the_site(client, portal, two_orgs):
    response = _sign_in(client, portal, "maria.evil", next_url="https://evil.example/x",
                        email="maria@acme.example", email_verified=True)
    assert response.status_code == 302 and response["Location"] == "/"
    # Already signed in: the deep link goes straight to `next`.
    again = client.get("/sso/?next=/tickets/new/")
    assert again.status_code == 302 and again["Location"] == "/tickets/new/"


def test_first_sign_in_with_an_organization_claim_creates_the_contact(client, portal,
                                                                      two_orgs):
    response = _sign_in(client, portal, "nora", email="nora@acme.example",
                        email_verified=True, name="Nora Núñez", organization="ACME-1001")
    nora = User.objects.get(email="nora@acme.example")
    assert (nora.organization, nora.full_name, nora.is_active) == (two_orgs.acme,
                                                                   "Nora Núñez", True)
    assert not nora.has_usable_password() and nora.details_confirmed_at is None
    assert LogEntry.objects.filter(object_id=str(nora.pk)).count() == 1
    assert response["Location"] == "/tickets/" and _signed_in(client)
    # The first-login confirmation of her details still comes first.
    assert client.get("/tickets/")["Location"].startswith("/accounts/confirm-details/")


def test_first_sign_in_waits_for_staff_approval_by_setting(client, portal, settings):
    settings.OIDC_NEW_CONTACTS = "approve"
    response = _sign_in(client, portal, "olga", email="olga@acme.example",
                        email_verified=True, organization="ACME-1001")
    _problem(response, "pending")
    assert not _signed_in(client)
    olga = User.objects.get(email="olga@acme.example")
    assert olga.is_active is False
    # Signing in again before staff activate her: still waiting; once active: signed in.
    _problem(_sign_in(client, portal, "olga", email="olga@acme.example", email_verified=True),
             "pending")
    olga.is_active = True
    olga.save()
    assert _sign_in(client, portal, "olga", email="olga@acme.example",
                    email_verified=True).status_code == 302
    assert client.session["_auth_user_id"] == str(olga.pk)


def test_unknown_organization_gets_a_page_in_their_language(client, portal):
    response = _sign_in(client, portal, "pablo", email="pablo@nowhere.example",
                        email_verified=True, organization="NOPE-1", locale="es")
    assert response.status_code == 403 and response.context["code"] == "no_organization"
    assert "administrador de su organización" in response.content.decode()
    assert not User.objects.filter(email="pablo@nowhere.example").exists()
    assert not _signed_in(client)


def test_unverified_email_never_links(client, portal, two_orgs):
    response = _sign_in(client, portal, "juan.unverified", email="juan@acme.example",
                        email_verified=False, organization="ACME-1001")
    _problem(response, "unverified_email")
    assert not _signed_in(client)


def test_staff_do_not_sign_in_through_the_portal(client, portal, two_orgs):
    response = _sign_in(client, portal, "agent", email="agent@helpdesk.example",
                        email_verified=True)
    _problem(response, "staff")
    assert not _signed_in(client)


def _maria_callback(client, portal, username: str, **replaced: str) -> str:
    """María signs in at the provider; the URL it sends her back to, with `replaced`
    query parameters."""
    password = portal.person_add(username, email="maria@acme.example", email_verified=True)
    callback = urlsplit(portal.sign_in(_authorize(client), username=username,
                                       password=password))
    query = {**parse_qs(callback.query), **{name: [value] for name, value in replaced.items()}}
    return urlunsplit(callback._replace(query=urlencode(query, doseq=True)))


def test_tampered_state_is_refused(client, portal, two_orgs):
    callback = _maria_callback(client, portal, "maria.state", state="forged-state-0123456789")
    _problem(client.get(callback), "state")
    assert not _signed_in(client)


@pytest.mark.parametrize("tamper", [{"nonce": "forged-nonce"}, {"signature": True},
                                    {"aud": "another-client"}, {"iss": "http://elsewhere"},
                                    {"exp_offset_seconds": -3600}],
                         ids=["nonce", "signature", "audience", "issuer", "expired"])
def test_tampered_id_token_is_refused(client, portal, two_orgs, tamper, caplog):
    response = _sign_in(client, portal, f"maria.{'-'.join(tamper)}",
                        email="maria@acme.example", email_verified=True, tamper=tamper)
    _problem(response, "invalid_token")
    assert not _signed_in(client)
    assert "Portal sign-in refused" in caplog.text


def test_expired_code_is_a_clear_page(client, portal, two_orgs):
    callback = _maria_callback(client, portal, "maria.code", code="not-a-code-it-issued")
    _problem(client.get(callback), "expired")


def test_declined_consent_is_a_clear_page(client, portal, settings):
    settings.OIDC_RP_CLIENT_ID = CONSENT_CLIENT_ID
    password = portal.person_add("maria.declines", email="maria@acme.example",
                                 email_verified=True)
    callback = portal.sign_in(_authorize(client), username="maria.declines",
                              password=password, allow=False)
    assert "error=access_denied" in callback
    _problem(client.get(callback), "denied")
    assert not _signed_in(client)


def test_provider_down_is_a_clear_page(client, portal, settings, caplog):
    callback = _maria_callback(client, portal, "maria.down")
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{free_port()}/o/token/"
    _problem(client.get(callback), "unavailable")
    assert "the provider is unreachable" in caplog.text


def test_sign_out_ends_the_session_and_offers_the_providers_end_session(client, portal,
                                                                        two_orgs):
    _sign_in(client, portal, "maria.out", email="maria@acme.example", email_verified=True)
    response = client.post("/accounts/logout/")
    assert response.status_code == 200 and not _signed_in(client)
    end_session = response.context["end_session_url"]
    query = parse_qs(urlsplit(end_session).query)
    assert end_session.startswith(portal.issuer + "/logout/") and query["id_token_hint"]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert client.get("/tickets/")["Location"].startswith("/accounts/login/")
    # The provider accepts the hint (an invalid one is an error page) and sends the person
    # back to our login page.
    answer = requests.get(end_session, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    assert answer.headers["Location"] == "http://testserver/accounts/login/"


def test_password_sign_out_is_unchanged(client, portal, two_orgs):
    client.force_login(two_orgs.maria)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_off_when_not_configured(client, settings, db):
    settings.OIDC_ENABLED = False
    assert client.get("/sso/?next=/tickets/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404
    assert b"data-sso" not in client.get("/accounts/login/").content


def test_login_page_offers_the_portal_beside_the_form(client, portal):
    page = client.get("/accounts/login/?next=/tickets/new/").content.decode()
    assert 'href="/sso/?next=/tickets/new/"' in page and "Sign in with the portal" in page
    assert 'name="password"' in page


def test_local_passwords_off_for_customers_staff_keep_theirs(client, portal, settings,
                                                             two_orgs):
    settings.OIDC_LOCAL_PASSWORDS_FOR_CUSTOMERS = False
    response = client.post("/accounts/login/", {"username": two_orgs.maria.email,
                                                "password": two_orgs.password})
    assert response.status_code == 200 and str(LOGIN_PORTAL_ONLY) in response.content.decode()
    response = client.post("/accounts/login/", {"username": two_orgs.agent.email,
                                                "password": two_orgs.password})
    assert response.status_code == 302


def test_oidc_discover_prints_the_environment_lines(oidc_provider):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("oidc_discover", oidc_provider.issuer, stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert lines["OIDC_OP_ISSUER"] == oidc_provider.issuer
    assert lines["OIDC_OP_JWKS_ENDPOINT"] == f"{oidc_provider.issuer}/.well-known/jwks.json"
    assert lines["OIDC_OP_END_SESSION_ENDPOINT"] == f"{oidc_provider.issuer}/logout/"
