from django.urls import include, path

from bench.views import minimal_create

urlpatterns = [
    path("bench/minimal-report/", minimal_create, name="bench-minimal-report"),
    path("", include("tracker.urls")),
]
