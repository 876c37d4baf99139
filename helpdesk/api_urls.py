"""REST API routes; each app keeps its own api.py and registers its routes here."""

from django.urls import path

from credits import api as credits_api
from entitlements import api as entitlements_api
from tickets import api as tickets_api

urlpatterns = [
    path("credits/", credits_api.CreditBalanceView.as_view(), name="api-credit-balance"),
    path("credits/ledger/", credits_api.LedgerListView.as_view(), name="api-credit-ledger"),
    path("entitlements/departments/", entitlements_api.DepartmentDecisionsView.as_view(),
         name="api-department-decisions"),
    path("tickets/", tickets_api.TicketListView.as_view(), name="api-ticket-list"),
    path("tickets/<str:number>/", tickets_api.TicketDetailView.as_view(), name="api-ticket-detail"),
    path("tickets/<str:number>/messages/", tickets_api.TicketReplyView.as_view(),
         name="api-ticket-reply"),
]
