"""The production profile refuses to start without a secret and hardens cookies."""

import os
import subprocess
import sys

from django.conf import settings

PRINT = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
         "from django.conf import settings as s; "
         "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.STORAGES['staticfiles']['BACKEND'])")


PRODUCTION = {"HELPDESK_PROFILE": "production", "SECRET_KEY": "x" * 50,
              "DATABASE_URL": "postgres://helpdesk@127.0.0.1:5432/helpdesk",
              "REDIS_URL": "redis://127.0.0.1:6379/0", "ALLOWED_HOSTS": "helpdesk.example.com",
              "SITE_URL": "https://helpdesk.example.com",
              "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend"}


def _run(**env):
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    return subprocess.run([sys.executable, "-c", PRINT], env={**base, **env},
                          cwd=settings.BASE_DIR, capture_output=True, text=True)


def test_production_without_secret_key_does_not_start():
    result = _run(HELPDESK_PROFILE="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_hardens_cookies_and_static_files():
    result = _run(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True",
                                     "whitenoise.storage.CompressedManifestStaticFilesStorage"]


def test_embedded_default_needs_nothing():
    result = _run()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["False", "False"]


SESSIONS = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
            "from django.conf import settings as s; "
            "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])")


def test_sessions_are_read_from_redis_when_there_is_one():
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    with_redis = subprocess.run([sys.executable, "-c", SESSIONS], cwd=settings.BASE_DIR,
                                env={**base, "REDIS_URL": "redis://127.0.0.1:6379/15"},
                                capture_output=True, text=True)
    assert with_redis.stdout.split() == ["accounts.sessions",  # db + Redis cache, guarded
                                         "django.core.cache.backends.redis.RedisCache"]
    without = subprocess.run([sys.executable, "-c", SESSIONS], cwd=settings.BASE_DIR,
                             env=base, capture_output=True, text=True)
    assert without.stdout.split() == ["django.contrib.sessions.backends.db",
                                      "django.core.cache.backends.db.DatabaseCache"]


def test_half_configured_portal_sign_in_does_not_start():
    result = _run(OIDC_RP_CLIENT_ID="helpdesk", OIDC_OP_ISSUER="https://portal.example.com")
    assert result.returncode == 4
    assert result.stderr.strip().splitlines()[-1] == (
        "helpdesk: sign-in with the customer portal (OIDC_RP_CLIENT_ID is set) needs "
        "OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, "
        "OIDC_OP_JWKS_ENDPOINT (see the README's \"Sign-in with the customer portal\")")
    result = _run(OIDC_NEW_CONTACTS="sometimes")
    assert result.returncode == 4 and "OIDC_NEW_CONTACTS must be one of create, approve" \
        in result.stderr
