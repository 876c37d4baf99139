"""The URLconf the OpenAPI schema is generated from: /api/v1/ alone (the deprecated /api/
aliases are not documented)."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("helpdesk.api.urls"))]
