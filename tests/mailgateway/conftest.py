import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """The quarantine notice rate limit lives in the cache: start every test empty, without
    flushing a shared Redis database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"mailgateway-tests-{uuid.uuid4().hex}"}}
