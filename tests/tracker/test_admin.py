"""The staff's admin pages: finding areas, verifying and rejecting reports, reading history."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AreaFactory, ReportFactory, StaffFactory, UserFactory
from tracker import services
from tracker.models import AreaAlias, FigureRelease, Report, ReportStatus, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:tracker_{model}_changelist")


@pytest.mark.parametrize(
    "model", ["area", "agency", "user", "report", "reportrevision", "dailyfigure", "figurerelease"]
)
def test_every_list_opens(staff_client, model):
    ReportFactory()
    assert staff_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("query", ["ZZKB", "Ain Al Zed", "عين الزد", "Kobazed"])
def test_area_search_by_pcode_either_name_or_alias(staff_client, query):
    area = AreaFactory(pcode="ZZKB01", name_en="Ain Al Zed", name_ar="عين الزد")
    AreaAlias.objects.create(area=area, alias="Kobazed", language="en")
    AreaAlias.objects.create(area=area, alias="Kobazed town", language="en")
    AreaFactory(name_en="Elsewhere")
    page = staff_client.get(changelist("area"), {"q": query}).content.decode()
    assert "ZZKB01" in page
    assert "Elsewhere" not in page
    assert "1 result" in page


def test_arabic_names_are_shown_right_to_left(staff_client):
    AreaFactory(name_ar="حلب")
    page = staff_client.get(changelist("area")).content.decode()
    assert '<bdi dir="rtl" lang="ar">حلب</bdi>' in page


def test_reports_filter_by_governorate_through_stored_ancestry(staff_client):
    country = AreaFactory()
    governorate = AreaFactory(parent=country)
    district = AreaFactory(parent=governorate)
    inside = ReportFactory(area=district, external_id="inside")
    ReportFactory(area=AreaFactory(parent=country), external_id="outside")
    response = staff_client.get(changelist("report"), {"governorate": governorate.pcode})
    assert [r.pk for r in response.context["cl"].queryset] == [inside.pk]


def test_bulk_verify_records_who_verified(staff_client):
    reports = ReportFactory.create_batch(3)
    response = staff_client.post(
        changelist("report"),
        {"action": "verify_reports", "_selected_action": [r.pk for r in reports], "confirm": "yes"},
        follow=True,
    )
    assert "3 report(s) verified" in response.content.decode()
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.VERIFIED}
    assert Report.objects.filter(verified_by=response.wsgi_request.user).count() == 3


def test_bulk_reject_asks_for_a_reason_then_rejects(staff_client):
    report = ReportFactory()
    form = staff_client.post(
        changelist("report"), {"action": "reject_reports", "_selected_action": [report.pk]}
    )
    assert form.status_code == 200 and "reason" in form.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING

    staff_client.post(
        changelist("report"),
        {"action": "reject_reports", "_selected_action": [report.pk], "reason": "Duplicate"},
    )
    report.refresh_from_db()
    assert (report.status, report.status_reason) == (ReportStatus.REJECTED, "Duplicate")


def test_a_withdrawn_report_is_not_verified_and_staff_are_told_why(staff_client):
    report = ReportFactory(status=ReportStatus.WITHDRAWN)
    response = staff_client.post(
        changelist("report"),
        {"action": "verify_reports", "_selected_action": [report.pk], "confirm": "yes"},
        follow=True,
    )
    assert f"#{report.pk}: Report {report.pk} is withdrawn" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.WITHDRAWN


def test_report_history_page_shows_each_change(staff_client):
    report = ReportFactory()
    staff_client.post(
        changelist("report"),
        {"action": "verify_reports", "_selected_action": [report.pk], "confirm": "yes"},
    )
    page = staff_client.get(reverse("admin:tracker_report_history", args=[report.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "verified" in text and "pending" in text


def test_nothing_is_deleted_from_the_admin(staff_client):
    report = ReportFactory()
    assert (
        staff_client.get(reverse("admin:tracker_report_delete", args=[report.pk])).status_code
        == 403
    )
    assert (
        staff_client.get(reverse("admin:tracker_area_delete", args=[report.area.pk])).status_code
        == 403
    )
    actions = staff_client.get(changelist("report")).context["action_form"].fields["action"].choices
    assert "delete_selected" not in dict(actions)


def test_daily_figures_are_read_only(staff_client):
    assert staff_client.get(reverse("admin:tracker_dailyfigure_add")).status_code == 403


def test_moving_an_area_in_the_admin_moves_what_is_below(staff_client):
    country = AreaFactory()
    old, new = AreaFactory(parent=country), AreaFactory(parent=country)
    district = AreaFactory(parent=old)
    below = AreaFactory(parent=district)
    url = reverse("admin:tracker_area_change", args=[district.pk])
    form = {
        "pcode": district.pcode,
        "level": 2,
        "parent": new.pk,
        "name_en": district.name_en,
        "name_ar": "",
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    below.refresh_from_db()
    assert below.path == f"{country.pcode}/{new.pcode}/{district.pcode}/{below.pcode}/"


def test_a_pending_revision_shows_on_its_report_and_verify_applies_it(staff_client):
    report = ReportFactory(status=ReportStatus.VERIFIED, killed=3)
    reporter = UserFactory(agency=report.agency, role=Role.REPORTER)
    services.report_update(report=report, user=reporter, killed=4)
    page = staff_client.get(reverse("admin:tracker_report_change", args=[report.pk]))
    assert page.status_code == 200 and "pending" in page.content.decode()
    staff_client.post(
        changelist("report"),
        {"action": "verify_reports", "_selected_action": [report.pk], "confirm": "yes"},
    )
    report.refresh_from_db()
    assert (report.killed, report.status) == (4, ReportStatus.VERIFIED)


def test_reopen_asks_for_a_reason_then_reopens(staff_client):
    report = ReportFactory(status=ReportStatus.REJECTED)
    form = staff_client.post(
        changelist("report"), {"action": "reopen_reports", "_selected_action": [report.pk]}
    )
    assert form.status_code == 200 and 'value="reopen_reports"' in form.content.decode()
    staff_client.post(
        changelist("report"),
        {"action": "reopen_reports", "_selected_action": [report.pk], "reason": "Not a copy"},
    )
    report.refresh_from_db()
    assert (report.status, report.status_reason) == (ReportStatus.PENDING, "Not a copy")


def test_bulk_verify_asks_to_confirm_first(staff_client):
    reports = ReportFactory.create_batch(2)
    form = staff_client.post(
        changelist("report"),
        {"action": "verify_reports", "_selected_action": [r.pk for r in reports]},
    )
    page = form.content.decode()
    assert form.status_code == 200 and "Confirm" in page
    assert all(f"#{r.pk}" in page for r in reports)
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.PENDING}


def test_staff_read_bulk_import_jobs_and_their_errors(staff_client):
    reporter = UserFactory()
    job = services.import_job_create(
        agency=reporter.agency, user=reporter, format="csv", data=b"area\nZZ\n", rows=1,
        dry_run=False, atomic=True, body_hash="h",
    )  # fmt: skip
    job.errors = [{"row": 1, "errors": {"period_start": ["This field is required."]}}]
    job.save()
    listed = staff_client.get(changelist("importjob"))
    assert listed.status_code == 200 and reporter.agency.code in listed.content.decode()
    page = staff_client.get(reverse("admin:tracker_importjob_change", args=[job.pk]))
    assert page.status_code == 200 and "This field is required." in page.content.decode()


def test_staff_publish_a_release_in_the_admin_and_it_cannot_be_changed_or_deleted(staff_client):
    ReportFactory(status=ReportStatus.VERIFIED, killed=3)
    add = reverse("admin:tracker_figurerelease_add")
    page = staff_client.get(add)
    assert page.status_code == 200 and 'name="name"' in page.content.decode()
    answer = staff_client.post(add, {"name": "Flash update 4", "notes": "For the cluster."})
    assert answer.status_code == 302
    release = FigureRelease.objects.get()
    assert release.created_by.is_staff and release.as_of <= timezone.now()
    listed = staff_client.get(changelist("figurerelease")).content.decode()
    assert "Flash update 4" in listed and f"?release={release.pk}&format=csv" in listed
    change = reverse("admin:tracker_figurerelease_change", args=[release.pk])
    staff_client.post(change, {"name": "Renamed", "notes": ""})
    assert FigureRelease.objects.get().name == "Flash update 4"
    delete = reverse("admin:tracker_figurerelease_delete", args=[release.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert FigureRelease.objects.count() == 1


def test_only_staff_publish_releases(client):
    client.force_login(UserFactory(role=Role.VERIFIER))
    answer = client.post(reverse("admin:tracker_figurerelease_add"), {"name": "Mine"})
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert not FigureRelease.objects.exists()
