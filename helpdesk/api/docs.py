"""The OpenAPI schema (signed-in users and tokens only) and Swagger UI, served from our own
static files (static/vendor/swagger-ui, from the swagger-ui-dist package) under the site's
strict Content-Security-Policy."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def api_docs(request):
    return render(request, "api/docs.html")
