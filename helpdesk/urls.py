from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from helpdesk.api.docs import DeprecatedSchemaView
from helpdesk.design_views import design_system

# /healthz and /readyz are answered by helpdesk.middleware.HealthCheckMiddleware.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("design/", design_system, name="design_system"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("sso/", include("accounts.sso_urls")),  # 404 unless OIDC_ENABLED
    path("credits/", include("credits.urls")),
    path("renewals/", include("entitlements.urls")),
    path("mail/", include("mailgateway.urls")),
    path("api/v1/", include("helpdesk.api.urls")),
    # Deprecated aliases of the first read-only API (see the README): same rules as v1.
    path("api/schema/", DeprecatedSchemaView.as_view(urlconf="helpdesk.api.schema_urls"),
         name="api-schema"),
    path("api/", include("helpdesk.api_urls")),
    path("", include("tickets.urls")),
]

if settings.BENCH_VIEWS:  # `make bench` only (see helpdesk/bench_views.py)
    urlpatterns.insert(0, path("bench/", include("helpdesk.bench_views")))

handler400 = "helpdesk.errors.bad_request"
handler404 = "helpdesk.errors.page_not_found"
handler500 = "helpdesk.errors.server_error"
