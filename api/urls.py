from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api.views.areas import AreaViewSet
from api.views.bulk import ImportJobView, ReportBulkView
from api.views.figure_versions import FigureChanges, FigureReleaseDetail, FigureReleaseList
from api.views.figures import DailyFigureExplain, DailyFigureList
from api.views.misc import HealthView, MeView
from api.views.overview import FigureOverview
from api.views.public import PublicFigureList
from api.views.reports import ReportViewSet
from api.views.tokens import TokenViewSet

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("areas", AreaViewSet, basename="area")
router.register("reports", ReportViewSet, basename="report")
router.register("tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("me/", MeView.as_view(), name="me"),
    path("reports/bulk/", ReportBulkView.as_view(), name="report-bulk"),
    path("reports/bulk/<int:pk>/", ImportJobView.as_view(), name="report-bulk-job"),
    path("figures/daily/", DailyFigureList.as_view(), name="figures-daily"),
    path("figures/daily/explain/", DailyFigureExplain.as_view(), name="figures-explain"),
    path("figures/daily/changes/", FigureChanges.as_view(), name="figures-changes"),
    path("figures/overview/", FigureOverview.as_view(), name="figures-overview"),
    path("public/figures/daily/", PublicFigureList.as_view(), name="public-figures-daily"),
    path("figures/releases/", FigureReleaseList.as_view(), name="figure-release-list"),
    re_path(
        r"^figures/releases/(?P<pk>[0-9]{1,18})/$",
        FigureReleaseDetail.as_view(),
        name="figure-release-detail",
    ),
    *router.urls,
]
