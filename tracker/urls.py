from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularSwaggerView

from api.views.misc import SchemaView

admin.site.site_header = "Displacement tracker"
admin.site.site_title = "Displacement tracker"
admin.site.index_title = "Reports, areas and daily figures"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "api.views.misc.not_found"
handler500 = "api.views.misc.server_error"
