import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Login failures and password-reset requests are counted in the cache: start every test
    empty, without flushing a shared Redis database (and without counts left by earlier runs
    throttling fixed addresses such as 127.0.0.1)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"accounts-tests-{uuid.uuid4().hex}"}}
