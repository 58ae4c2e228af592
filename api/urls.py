from django.urls import path

from api.views import HealthView, MeView

app_name = "api"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("me/", MeView.as_view(), name="me"),
]
