"""The admin home page's queue overview (per department counts kept by the beat job)."""

from django import template

from tickets import workspace_selectors as ws

register = template.Library()


@register.inclusion_tag("admin/tickets/ticket/overview_table.html", takes_context=True)
def queue_overview(context):
    request = context.get("request")
    if request is None or not request.user.has_perm("tickets.view_ticket"):
        return {"rows": [], "hidden": True}
    rows, as_of = ws.queue_overview_cached()
    # The home page lists the queues that have open tickets; the overview page lists all.
    busy = [r for r in rows if r["new"] or r["open"] or r["waiting_customer"] or r["oldest_id"]]
    return {"rows": busy, "as_of": as_of}
