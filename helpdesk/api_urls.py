"""REST API routes; each app keeps its own api.py and registers its routes here."""

from django.urls import path

from tickets import api as tickets_api

urlpatterns = [
    path("tickets/", tickets_api.TicketListView.as_view(), name="api-ticket-list"),
    path("tickets/<str:number>/", tickets_api.TicketDetailView.as_view(), name="api-ticket-detail"),
]
