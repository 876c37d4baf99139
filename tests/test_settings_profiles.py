"""The production profile refuses to start without a secret and hardens cookies."""

import os
import subprocess
import sys

from django.conf import settings

PRINT = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
         "from django.conf import settings as s; "
         "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.STORAGES['staticfiles']['BACKEND'])")


def _run(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "HELPDESK_PROFILE")}
    return subprocess.run([sys.executable, "-c", PRINT], env={**base, **env},
                          cwd=settings.BASE_DIR, capture_output=True, text=True)


def test_production_without_secret_key_does_not_start():
    result = _run(HELPDESK_PROFILE="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_hardens_cookies_and_static_files():
    result = _run(HELPDESK_PROFILE="production", SECRET_KEY="x" * 50)
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
    assert with_redis.stdout.split() == ["django.contrib.sessions.backends.cached_db",
                                         "django.core.cache.backends.redis.RedisCache"]
    without = subprocess.run([sys.executable, "-c", SESSIONS], cwd=settings.BASE_DIR,
                             env=base, capture_output=True, text=True)
    assert without.stdout.split() == ["django.contrib.sessions.backends.db",
                                      "django.core.cache.backends.db.DatabaseCache"]


GC = ("import gc, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
      "before = gc.get_threshold()[0]; import helpdesk.{module}; "
      "print(before, gc.get_threshold()[0], gc.get_freeze_count() > 0)")


def test_the_servers_tune_the_garbage_collector_once_loaded():
    for module in ("wsgi", "asgi"):
        result = subprocess.run([sys.executable, "-c", GC.format(module=module)],
                                cwd=settings.BASE_DIR, capture_output=True, text=True)
        assert result.stdout.split() == ["700", "50000", "True"], result.stderr
    tuned = subprocess.run([sys.executable, "-c", GC.format(module="wsgi")],
                           cwd=settings.BASE_DIR, capture_output=True, text=True,
                           env={**os.environ, "GC_GEN0_THRESHOLD": "9000"})
    assert tuned.stdout.split()[1] == "9000"


def test_each_celery_worker_process_tunes_it_when_it_starts():
    code = ("import gc, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
            "import django; django.setup(); from helpdesk.celery import app; "
            "from celery.signals import worker_process_init; before = gc.get_threshold()[0]; "
            "worker_process_init.send(sender=None); print(before, gc.get_threshold()[0])")
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR,
                            capture_output=True, text=True)
    assert result.stdout.split() == ["700", "50000"], result.stderr
