"""Reports inside the admin site, for the Support managers group and superusers: a chart
(server-rendered SVG), its table and a CSV download of the same rows."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from credits.csv_export import csv_writer

from . import daily, svg
from .access import may_see_reports
from .forms import ReportFilterForm
from .queries import REPORTS


def _guard(request) -> None:
    if not may_see_reports(request.user):
        raise PermissionDenied


def index(request, admin_site):
    _guard(request)
    return TemplateResponse(request, "admin/reports/index.html", {
        **admin_site.each_context(request), "title": _("Reports"),
        "reports": [(slug, title) for slug, (title, _fn) in REPORTS.items()],
    })


def report(request, admin_site, slug: str):
    _guard(request)
    if slug not in REPORTS:
        raise Http404
    title, build = REPORTS[slug]
    form = ReportFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return TemplateResponse(request, "admin/reports/report.html", {
            **admin_site.each_context(request), "title": title, "form": form, "slug": slug,
            "report": None}, status=400)
    if not request.GET:
        form = ReportFilterForm({})
        form.is_valid()
    with timezone.override(daily.zone()):  # the roll-ups' days, the same for every reader
        result = build(form.filters())
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
        writer = csv_writer(response)
        writer.writerow([str(c) for c in result.columns])
        for row in result.rows:
            writer.writerow(["" if v is None else v for v in row])
        return response
    chart = svg.bar_chart(labels=[str(x) for x in result.chart_labels],
                          series=[(str(n), v) for n, v in result.chart_series],
                          title=str(result.title)) if result.rows else ""
    query = request.GET.copy()
    query["format"] = "csv"
    return TemplateResponse(request, "admin/reports/report.html", {
        **admin_site.each_context(request), "title": title, "form": form, "slug": slug,
        "report": result, "chart": chart, "csv_query": query.urlencode(),
        "time_zone": daily.zone().key})
