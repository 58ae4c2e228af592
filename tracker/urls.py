from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.views.desk_upload import desk_upload

admin.site.site_header = "Displacement tracker"
admin.site.site_title = "Displacement tracker"
admin.site.index_title = "Reports, areas and daily figures"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    # The desk's spreadsheet upload: an admin page reading rows as the API does.
    path(
        "admin/tracker/deskreport/upload/", admin.site.admin_view(desk_upload), name="desk-upload"
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "api.views.misc.not_found"
handler500 = "api.views.misc.server_error"
