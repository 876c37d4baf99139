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


@register.filter
def fast_label(bound_field):
    """What bound_field.label_tag renders (label, suffix, "for"), without a template render
    per label."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    label = str(bound_field.label)
    suffix = bound_field.form.label_suffix
    if suffix and label and label[-1] not in gettext(":?.!"):
        label += suffix
    target = bound_field.id_for_label
    if not target:
        return format_html("<label>{}</label>", label)
    return format_html('<label for="{}">{}</label>', target, label)


def _choices(cl, spec):
    """spec.choices(cl), with the query string of each choice built from the list's other
    parameters encoded once (ChangeList.get_query_string copies, sorts and encodes them
    again for every one of the ~60 choices)."""
    from django.contrib.admin import SimpleListFilter
    from django.utils.http import urlencode
    from django.utils.translation import gettext

    if (cl.add_facets or not isinstance(spec, SimpleListFilter)
            or type(spec).choices is not SimpleListFilter.choices):
        yield from spec.choices(cl)
        return
    name, value = spec.parameter_name, spec.value()
    yield {"selected": value is None, "display": gettext("All"),
           "query_string": cl.get_query_string(remove=[name])}
    others = sorted((k, v) for k, v in cl.filter_params.items() if k != name)
    before = urlencode([(k, v) for k, v in others if k < name], doseq=True)
    after = urlencode([(k, v) for k, v in others if k > name], doseq=True)
    for lookup, title in spec.lookup_choices:
        own = urlencode([(name, lookup)], doseq=True)
        yield {"selected": value == str(lookup), "display": title,
               "query_string": "?" + "&".join(part for part in (before, own, after) if part)}


@register.simple_tag
def queue_filters(cl):
    """The queue's filter sidebar, kept with the choice lists (tickets.admin_filters): it
    depends only on the language, the list's parameters and those choices, and building
    it was a quarter of the page's rendering time."""
    from tickets.admin_filters import cached_choices

    return cached_choices(f"filters-html{cl.get_query_string()}", lambda: _filters_html(cl))


def _filters_html(cl):
    """The markup of admin/filter.html for each list filter, in one pass (rendering that
    template per filter and per choice was a sixth of the queue's time). Filters with
    their own template are rendered with it."""
    from django.contrib.admin.templatetags.admin_list import admin_list_filter
    from django.utils.encoding import iri_to_uri
    from django.utils.html import conditional_escape, format_html, format_html_join
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    selected = mark_safe(' class="selected"')
    parts = []
    for spec in cl.filter_specs:
        if spec.template != "admin/filter.html":
            parts.append(admin_list_filter(cl, spec))
            continue
        items = format_html_join("\n", '    <li{}>\n    <a href="{}">{}</a></li>', (
            (selected if choice["selected"] else "", iri_to_uri(choice["query_string"]),
             choice["display"]) for choice in _choices(cl, spec)))
        summary = mark_safe(gettext(" By %(filter_title)s ") % {
            "filter_title": conditional_escape(spec.title)})
        parts.append(format_html(
            '<details data-filter-title="{}" open>\n  <summary>\n    {}\n  </summary>\n'
            '  <ul>\n{}\n  </ul>\n</details>\n', spec.title, summary, items))
    return mark_safe("".join(parts))


@register.simple_tag
def queue_action_fields(action_form):
    """The bulk-action form's fields, as {% for field in action_form %} renders them, built
    in one pass (the <select> went through the form renderer's templates on every page)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    if action_form.is_bound:  # never on the queue (the admin passes an unbound form)
        return mark_safe("".join(
            format_html("<label>{} {}</label>", f.label, f) if f.label else str(f)
            for f in action_form))
    field = action_form["action"]
    initial = str(field.value() if field.value() is not None else "")
    options = format_html_join("\n", '  <option value="{}"{}>{}</option>\n', (
        (str(key), mark_safe(" selected") if str(key) == initial else "", label)
        for key, label in field.field.choices))
    return format_html(
        '<label>{} <select name="action"{}>\n{}\n</select></label>'
        '<input type="hidden" name="select_across" value="0" class="select-across">',
        field.label, mark_safe(" required") if field.field.required else "", options)
