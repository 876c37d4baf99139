from django.urls import path, re_path

from . import organization_views, satisfaction_views, views
from .numbers import NUMBER_REGEX

NUMBER = rf"(?P<number>{NUMBER_REGEX})"

app_name = "tickets"
urlpatterns = [
    path("", views.my_tickets, name="my_tickets"),
    path("tickets/", views.my_tickets, name="open_tickets"),
    path("tickets/resolved/", views.resolved_tickets, name="resolved_tickets"),
    path("tickets/new/", views.submit_choose_department, name="submit"),
    path("tickets/new/<slug:code>/", views.submit_details, name="submit_details"),
    re_path(rf"^tickets/{NUMBER}/$", views.ticket_detail, name="detail"),
    re_path(rf"^tickets/{NUMBER}/submitted/$", views.submitted, name="submitted"),
    re_path(rf"^tickets/{NUMBER}/reply/$", views.ticket_reply, name="reply"),
    re_path(rf"^tickets/{NUMBER}/resolve/$", views.ticket_resolve, name="resolve"),
    re_path(rf"^tickets/{NUMBER}/participants/add/$", views.participant_add,
            name="participant_add"),
    re_path(rf"^tickets/{NUMBER}/participants/remove/$", views.participant_remove,
            name="participant_remove"),
    path("satisfaction/<str:token>/", satisfaction_views.answer, name="satisfaction"),
    path("organization/report/", organization_views.organization_report,
         name="organization_report"),
    re_path(rf"^tickets/{NUMBER}/attachments/(?P<attachment_id>[0-9]+)/$",
            views.attachment_download, name="attachment"),
]
