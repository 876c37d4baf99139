"""The project's URLs plus the API routes of credits and entitlements, as the integrator
registers them in helpdesk/api_urls.py."""

from django.urls import path

from credits import api as credits_api
from entitlements import api as entitlements_api
from helpdesk.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/credits/", credits_api.CreditBalanceView.as_view(), name="api-credits"),
    path("api/credits/ledger/", credits_api.LedgerListView.as_view(), name="api-credits-ledger"),
    path("api/entitlements/departments/", entitlements_api.DepartmentDecisionsView.as_view(),
         name="api-entitlements-departments"),
    *project_urlpatterns,
]
