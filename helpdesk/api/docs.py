"""The OpenAPI schema (signed-in users and tokens only) and Swagger UI, served from our own
static files (static/vendor/swagger-ui, from the swagger-ui-dist package) under the site's
strict Content-Security-Policy."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

from helpdesk.middleware import policy_update


@require_GET
@login_required
@policy_update({"img-src": ["'self'", "data:"]})  # Swagger UI's icons are data: SVGs in its CSS
def api_docs(request):
    return render(request, "api/docs.html")


@extend_schema(exclude=True)
class DeprecatedSchemaView(SpectacularAPIView):
    """/api/schema/, the first API's schema address: the v1 schema, not documented itself."""
