"""Template tags of the agent workspace (the admin index shows the queue overview)."""

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


@register.simple_tag
def queue_rows(cl):
    """The queue's table (see tickets.admin_rows)."""
    from django.urls import reverse

    from tickets.admin_rows import queue_table

    return queue_table(cl, change_url_prefix=reverse("admin:tickets_ticket_changelist"))


@register.filter
def fast_select(bound_field):
    """A <select> for a choice field, built in one pass (Django renders every option through
    its own template: a fifth of the ticket page's time)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    value = bound_field.value()
    values = value if isinstance(value, list | tuple) else [value]
    selected = {str(v) for v in values if v is not None}
    options = format_html_join("", '<option value="{}"{}>{}</option>', (
        (str(key), mark_safe(" selected") if str(key) in selected else "", label)
        for key, label in bound_field.field.choices))
    return format_html('<select name="{}" id="{}"{}>{}</select>', bound_field.html_name,
                       bound_field.auto_id, mark_safe(" required") if bound_field.field.required
                       else "", options)
