import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Start every test with an empty cache, without flushing a shared Redis database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"mailgateway-tests-{uuid.uuid4().hex}"}}
