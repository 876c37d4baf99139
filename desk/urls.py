"""The desk's URLs, mounted by the admin site under /admin/desk/ (admin login, staff only,
second factor, the admin's header): names are admin:desk_<name>."""

from __future__ import annotations

from django.urls import path

from . import actions, quarantine, views


def desk_urls(site) -> list:
    def wrap(view):
        return site.admin_view(view)

    return [
        path("desk/", wrap(views.queue), name="desk_queue"),
        path("desk/bulk/", wrap(actions.bulk), name="desk_bulk"),
        path("desk/counts/", wrap(views.counts), name="desk_counts"),
        path("desk/ticket/<int:ticket_id>/", wrap(views.ticket_view), name="desk_ticket"),
        path("desk/ticket/<int:ticket_id>/live/", wrap(views.live), name="desk_live"),
        path("desk/ticket/<int:ticket_id>/earlier/", wrap(views.earlier), name="desk_earlier"),
        path("desk/ticket/<int:ticket_id>/move/", wrap(views.move_preview), name="desk_move"),
        path("desk/ticket/<int:ticket_id>/preview/", wrap(views.email_preview),
             name="desk_preview"),
        path("desk/ticket/<int:ticket_id>/do/<slug:name>/", wrap(actions.action),
             name="desk_action"),
        path("desk/quarantine/", wrap(quarantine.quarantine_list), name="desk_quarantine"),
        path("desk/quarantine/<int:message_id>/", wrap(quarantine.quarantine_detail),
             name="desk_quarantine_message"),
        path("desk/quarantine/<int:message_id>/do/<slug:name>/",
             wrap(quarantine.quarantine_action), name="desk_quarantine_action"),
    ]
