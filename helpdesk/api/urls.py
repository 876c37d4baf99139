"""/api/v1/ routes. Ticket numbers are matched by tickets.numbers; path parameters are
named as on the site (number, attachment_id) so that the route-wide access test fills them."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from tickets.numbers import NUMBER_REGEX

from . import agent, billing, customer_account, customer_tickets, docs, quarantine, webhooks

NUMBER = rf"(?P<number>{NUMBER_REGEX})"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(urlconf="helpdesk.api.schema_urls"),
         name="api-v1-schema"),
    path("docs/", docs.api_docs, name="api-v1-docs"),
    # customers
    path("departments/", customer_tickets.DepartmentListView.as_view(),
         name="api-v1-departments"),
    path("tickets/", customer_tickets.TicketListView.as_view(), name="api-v1-tickets"),
    re_path(rf"^tickets/{NUMBER}/$", customer_tickets.TicketDetailView.as_view(),
            name="api-v1-ticket"),
    re_path(rf"^tickets/{NUMBER}/messages/$", customer_tickets.TicketReplyView.as_view(),
            name="api-v1-ticket-reply"),
    re_path(rf"^tickets/{NUMBER}/resolve/$", customer_tickets.TicketResolveView.as_view(),
            name="api-v1-ticket-resolve"),
    re_path(rf"^tickets/{NUMBER}/attachments/(?P<attachment_id>[0-9]+)/$",
            customer_tickets.AttachmentDownloadView.as_view(), name="api-v1-attachment"),
    path("credits/", customer_account.BalanceView.as_view(), name="api-v1-balance"),
    path("credits/ledger/", customer_account.LedgerView.as_view(), name="api-v1-ledger"),
    path("credits/ledger.csv", customer_account.LedgerCsvView.as_view(),
         name="api-v1-ledger-csv"),
    path("credits/cards/redeem/", customer_account.RedeemCardView.as_view(),
         name="api-v1-card-redeem"),
    path("credits/bundles/", customer_account.BundleRequestView.as_view(),
         name="api-v1-bundle-request"),
    path("profile/", customer_account.ProfileView.as_view(), name="api-v1-profile"),
    path("profile/language/", customer_account.LanguageView.as_view(),
         name="api-v1-language"),
    # agents
    path("agent/tickets/", agent.QueueView.as_view(), name="api-v1-agent-queue"),
    re_path(rf"^agent/tickets/{NUMBER}/$", agent.AgentTicketView.as_view(),
            name="api-v1-agent-ticket"),
    re_path(rf"^agent/tickets/{NUMBER}/messages/$", agent.AgentReplyView.as_view(),
            name="api-v1-agent-reply"),
    re_path(rf"^agent/tickets/{NUMBER}/time/$", agent.TimeLogView.as_view(),
            name="api-v1-agent-time"),
    re_path(rf"^agent/tickets/{NUMBER}/time/(?P<entry_id>[0-9]+)/reverse/$",
            agent.TimeReverseView.as_view(), name="api-v1-agent-time-reverse"),
    re_path(rf"^agent/tickets/{NUMBER}/attachments/(?P<attachment_id>[0-9]+)/$",
            agent.AgentAttachmentView.as_view(), name="api-v1-agent-attachment"),
    path("agent/quarantine/", quarantine.QuarantineView.as_view(),
         name="api-v1-quarantine"),
    path("agent/quarantine/<int:inbound_id>/", quarantine.QuarantinedView.as_view(),
         name="api-v1-quarantined"),
    path("agent/quarantine/<int:inbound_id>/attach/", quarantine.AttachView.as_view(),
         name="api-v1-quarantine-attach"),
    path("agent/quarantine/<int:inbound_id>/open-ticket/",
         quarantine.OpenTicketView.as_view(), name="api-v1-quarantine-open"),
    path("agent/quarantine/<int:inbound_id>/discard/", quarantine.DiscardView.as_view(),
         name="api-v1-quarantine-discard"),
    # outgoing webhooks (organization admins, staff)
    path("webhooks/", webhooks.WebhookListView.as_view(), name="api-v1-webhooks"),
    path("webhooks/<int:webhook_id>/", webhooks.WebhookDetailView.as_view(),
         name="api-v1-webhook"),
    path("webhooks/<int:webhook_id>/deliveries/", webhooks.DeliveryListView.as_view(),
         name="api-v1-webhook-deliveries"),
    # billing (staff tokens with the billing scope)
    path("billing/purchase-orders/<int:order_id>/paid/", billing.PurchaseOrderPaidView.as_view(),
         name="api-v1-billing-order-paid"),
    path("billing/credits/", billing.CreditBookingView.as_view(), name="api-v1-billing-credits"),
    path("billing/contracts/", billing.ContractCreateView.as_view(),
         name="api-v1-billing-contracts"),
    path("billing/contracts/<int:contract_id>/renew/", billing.ContractRenewView.as_view(),
         name="api-v1-billing-contract-renew"),
    path("billing/hardware/", billing.HardwareRegisterView.as_view(),
         name="api-v1-billing-hardware"),
    path("billing/module-licences/", billing.ModuleLicenceView.as_view(),
         name="api-v1-billing-modules"),
]
