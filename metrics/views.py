"""The dashboard page and one CSV per figure, built from the same selector results as the API.

Access: ``support.service_metrics`` (the Service managers and Safety staff
groups). Anybody else gets a 403 page; bad filters a 400 page that says what
to change.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from metrics.charts import chart_svg
from metrics.filters import DEFAULT_DAYS, MAX_DAYS, metrics_filter_parse
from metrics.payloads import figure_csv, figure_table
from metrics.selectors import FIGURES, dashboard_get, figure_get, hidden_label, retention_horizon
from support.errors import DomainError
from support.helplines import helplines_for
from support.models import Topic
from support.roles import can_read_service_metrics

NOT_ALLOWED = "The dashboard is for service managers and the safety team."
SIGN_IN_FIRST = "Please sign in on the Safety team page first, then come back here."


def _forbidden(request):
    message = SIGN_IN_FIRST if not request.user.is_authenticated else NOT_ALLOWED
    return render(
        request,
        "metrics/forbidden.html",
        {"page": "dashboard", "helplines": helplines_for(None), "message": message},
        status=403,
    )


def dashboard(request):
    if not can_read_service_metrics(request.user):
        return _forbidden(request)
    context = {
        "page": "dashboard",
        "helplines": helplines_for(None),
        "topics": Topic.objects.order_by("display_order", "name"),
        "default_days": DEFAULT_DAYS,
        "max_days": MAX_DAYS,
        "hidden_label": hidden_label(),
        "values": {key: request.GET.get(key, "") for key in ("from", "to", "topic")},
        "time_zone": timezone.get_current_timezone_name(),
        "queue_days": settings.SAFETY_RETENTION_QUEUE_DAYS,
        "chat_days": settings.SAFETY_RETENTION_DAYS,
    }
    try:
        flt = metrics_filter_parse(params=request.GET)
    except DomainError as error:
        context["error"] = error.message
        return render(request, "metrics/dashboard.html", context, status=400)
    now = timezone.now()
    figures = dashboard_get(flt=flt, now=now)
    query = urlencode(flt.as_query())
    horizon = retention_horizon(now=now)
    context.update(
        flt=flt,
        values={
            "from": flt.date_from.isoformat(),
            "to": flt.date_to.isoformat(),
            "topic": flt.topic.slug if flt.topic else "",
        },
        horizon=horizon if flt.date_from < horizon else None,
        figures=[
            {
                "figure": figure,
                "svg": chart_svg(figure),
                "table": figure_table(figure),
                "csv_url": f"{reverse('metrics-csv', args=[figure.key])}?{query}",
            }
            for figure in figures
        ],
    )
    return render(request, "metrics/dashboard.html", context)


def dashboard_csv(request, figure: str):
    if not can_read_service_metrics(request.user):
        return HttpResponseForbidden(NOT_ALLOWED, content_type="text/plain; charset=utf-8")
    if figure not in FIGURES:
        return HttpResponse("No such figure.", status=404, content_type="text/plain; charset=utf-8")
    try:
        flt = metrics_filter_parse(params=request.GET)
    except DomainError as error:
        return HttpResponse(f"{error.code}: {error.message}", status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(figure_csv(figure_get(key=figure, flt=flt)), content_type="text/csv; charset=utf-8")
    topic = f"-{flt.topic.slug}" if flt.topic else ""
    response["Content-Disposition"] = (
        f'attachment; filename="hearth-{figure}-{flt.date_from.isoformat()}-{flt.date_to.isoformat()}{topic}.csv"'
    )
    return response
