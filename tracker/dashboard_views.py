"""The dashboard's pages, for any signed-in user: the figures of one area over a period (drawn
in the browser from GET /api/v1/figures/overview/), and a readable page explaining one figure
(what GET /api/v1/figures/daily/explain/ answers)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from tracker import dashboard
from tracker.figures.explain import explain_cell
from tracker.models import METRICS, Area

METRIC_NAMES = {
    "displaced": "Displaced",
    "returned": "Returned",
    "killed": "Killed",
    "injured": "Injured",
    "killed_children": "Children killed",
    "injured_children": "Children injured",
}


def _exports(area: Area, date_from, date_to) -> list[tuple[str, str]]:
    """Links to the API's CSV and HXL exports of what the page shows."""
    figures = reverse("api:figures-daily")
    period = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    own = {"area": area.pcode, **period}
    below = {**own, "level": area.level + 1}
    links = [
        (f"{area.name_en}: CSV", f"{figures}?{urlencode({**own, 'format': 'csv'})}"),
        (f"{area.name_en}: HXL", f"{figures}?{urlencode({**own, 'format': 'hxl'})}"),
    ]
    if area.level < 3:
        links += [
            ("the areas below: CSV", f"{figures}?{urlencode({**below, 'format': 'csv'})}"),
            ("the areas below: HXL", f"{figures}?{urlencode({**below, 'format': 'hxl'})}"),
        ]
    return links


@login_required
def dashboard_page(request):
    query = dashboard.DashboardPageQuery(request.GET)
    if not query.is_valid():
        context = {"errors": dashboard.query_errors(query), "query": request.GET}
        return render(request, "dashboard/dashboard.html", context, status=400)
    area, date_from, date_to, metric = (
        query.cleaned_data[name] for name in ("area", "date_from", "date_to", "metric")
    )
    period = {"area": area.pcode, "date_from": date_from, "date_to": date_to}
    config = {
        **period,
        "metric": metric,
        "metrics": {m: METRIC_NAMES[m] for m in dashboard.DASHBOARD_METRICS},
        "levels": dashboard.LEVEL_NAMES,
        "overview_url": f"{reverse('api:figures-overview')}?{urlencode(period)}",
        "areas_url": reverse("api:area-list"),
        "dashboard_url": reverse("dashboard"),
        "explanation_url": reverse("figure-explanation"),
    }
    context = {
        "area": area,
        "level": dashboard.LEVEL_NAMES[area.level],
        "parents": dashboard.area_parents(area),
        "date_from": date_from,
        "date_to": date_to,
        "metric": metric,
        "metrics": config["metrics"],
        "exports": _exports(area, date_from, date_to),
        "config": config,
    }
    return render(request, "dashboard/dashboard.html", context)


@login_required
def figure_explanation(request):
    query = dashboard.ExplanationQuery(request.GET)
    if not query.is_valid():
        context = {"errors": dashboard.query_errors(query), "query": request.GET}
        return render(request, "dashboard/explanation.html", context, status=400)
    area, day, chosen = (query.cleaned_data[name] for name in ("area", "date", "metric"))
    explanation = explain_cell(area, day)
    below = {child.pcode: child for child in area.children.all()}
    metrics = [chosen] if chosen else list(dashboard.DASHBOARD_METRICS)
    context = {
        "area": area,
        "day": day,
        "explanation": explanation,
        "parents": dashboard.area_parents(area),
        "level": dashboard.LEVEL_NAMES[area.level],
        "metrics": [
            {
                "name": metric,
                "title": METRIC_NAMES[metric],
                **explanation["metrics"][metric],
                "children": [
                    {"area": below[row["area"]], "value": row[metric]}
                    for row in explanation["children"]
                    if row[metric] is not None
                ],
            }
            for metric in metrics
        ],
        "others": [(m, METRIC_NAMES[m]) for m in METRICS if m not in metrics],
        "api_url": f"{reverse('api:figures-explain')}?"
        + urlencode({"area": area.pcode, "date": day.isoformat()}),
        "dashboard_query": urlencode({"area": area.pcode}),
    }
    return render(request, "dashboard/explanation.html", context)
