from django.urls import include, path

from bench.views import minimal_create, minimal_daily

urlpatterns = [
    path("bench/minimal-report/", minimal_create, name="bench-minimal-report"),
    path("bench/minimal-daily/", minimal_daily, name="bench-minimal-daily"),
    path("", include("tracker.urls")),
]
