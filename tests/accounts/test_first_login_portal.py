"""Issue 11, first login: a success message, the curated time-zone picker, the login
page's language kept for the session and offered to be saved on the profile."""

import itertools

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.forms import COMMON_TIME_ZONES, ContactDetailsForm
from accounts.models import User
from accounts.views import DETAILS_SAVED_FIRST, LANGUAGE_SAVED

pytestmark = pytest.mark.django_db
_ips = (f"198.51.100.{n}" for n in itertools.count(10))


def _login(client, user, password):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": password},
                       REMOTE_ADDR=next(_ips), follow=True)


def test_login_page_language_is_kept_for_the_session_and_offered(client, two_orgs):
    two_orgs.maria.language = "en"
    two_orgs.maria.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"  # picked on the login page
    response = _login(client, two_orgs.maria, two_orgs.password)
    html = response.content.decode()
    assert '<html lang="es">' in html and 'data-language-offer="es"' in html
    # The offer shows once; the session keeps Spanish; the profile still says English.
    html = client.get("/").content.decode()
    assert '<html lang="es">' in html and "data-language-offer" not in html
    assert User.objects.get(pk=two_orgs.maria.pk).language == "en"
    # Saving it: the profile says Spanish from now on.
    response = client.post(reverse("accounts:language"), {"language": "es", "next": "/"},
                           follow=True)
    assert User.objects.get(pk=two_orgs.maria.pk).language == "es"
    assert str(LANGUAGE_SAVED) in response.content.decode() or "guardado" in \
        response.content.decode()


def test_no_offer_when_the_login_page_language_is_the_profiles(client, two_orgs):
    two_orgs.maria.language = "es"
    two_orgs.maria.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert "data-language-offer" not in _login(client, two_orgs.maria,
                                               two_orgs.password).content.decode()


def test_first_confirmation_says_so_and_the_form_starts_in_the_session_language(
        client, two_orgs):
    two_orgs.juan.details_confirmed_at = None
    two_orgs.juan.language = "en"
    two_orgs.juan.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = _login(client, two_orgs.juan, two_orgs.password)
    assert response.context["form"]["language"].value() == "es"
    html = response.content.decode()
    assert "Zona horaria" in html and "data-preselect-browser" in html
    response = client.post(reverse("accounts:confirm_details"), {
        "full_name": "Juan Pérez", "language": "es", "time_zone": "Europe/Madrid"}, follow=True)
    assert "Gracias" in response.content.decode()
    assert response.context["messages"] and DETAILS_SAVED_FIRST
    assert User.objects.get(pk=two_orgs.juan.pk).language == "es"


def test_time_zone_picker_offers_common_zones_first():
    choices = ContactDetailsForm.base_fields["time_zone"].choices
    (common_label, common), (_all_label, rest) = choices
    assert [value for value, _label in common] == list(COMMON_TIME_ZONES)
    assert "Europe/Madrid" not in {value for value, _label in rest}
    assert len(rest) > 300
