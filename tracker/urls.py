from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularSwaggerView

from api.views.desk_upload import desk_upload
from api.views.misc import SchemaView
from tracker.dashboard_views import dashboard_page, figure_explanation
from tracker.health import Livez, healthz
from tracker.metrics import metrics

admin.site.site_header = "Displacement tracker"
admin.site.site_title = "Displacement tracker"
admin.site.index_title = "Reports, areas and daily figures"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("livez", Livez.as_view(), name="livez"),
    path("metrics", metrics, name="metrics"),
    path("dashboard/", dashboard_page, name="dashboard"),
    path("dashboard/explain/", figure_explanation, name="figure-explanation"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The desk's spreadsheet upload: an admin page reading rows as the API does.
    path(
        "admin/tracker/deskreport/upload/", admin.site.admin_view(desk_upload), name="desk-upload"
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "api.views.misc.not_found"
handler500 = "api.views.misc.server_error"
