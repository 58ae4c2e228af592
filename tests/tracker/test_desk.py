"""The verification desk: what waits for a verifier, oldest first, flagged, in a few queries."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import AgencyFactory, AreaFactory, ReportFactory, StaffFactory
from tracker import services
from tracker.models import AreaAlias, ReportStatus

pytestmark = pytest.mark.django_db

DESK = "admin:tracker_deskreport_changelist"
DAY = datetime.date(2024, 11, 28)


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def idleb():
    country = AreaFactory(pcode="ZZSY")
    governorate = AreaFactory(parent=country, name_en="Idleb gov", population=None)
    district = AreaFactory(parent=governorate, name_en="Idleb", population=1000)
    AreaAlias.objects.create(area=district, alias="Idlib", language="en")
    return district


def rows(response):
    return {r.pk: r for r in response.context["cl"].result_list}


def test_pending_reports_oldest_first_and_decided_ones_left_out(staff_client):
    first, second = ReportFactory(), ReportFactory()
    ReportFactory(status=ReportStatus.VERIFIED)
    response = staff_client.get(reverse(DESK))
    assert [r.pk for r in response.context["cl"].result_list] == [first.pk, second.pk]


def test_conflict_between_agencies_in_nested_areas_on_overlapping_days(staff_client, idleb):
    scd = ReportFactory(
        agency=AgencyFactory(code="SCD"), area=idleb, period_start=DAY, period_end=DAY, killed=3
    )
    src = ReportFactory(
        agency=AgencyFactory(code="SRC"),
        area=idleb.parent,
        period_start=DAY,
        period_end=DAY,
        killed=5,
    )
    same = ReportFactory(
        agency=AgencyFactory(code="OTH"),
        area=AreaFactory(parent=idleb.parent.parent),
        period_start=DAY,
        period_end=DAY,
        killed=9,
    )
    found = rows(staff_client.get(reverse(DESK)))
    assert found[scd.pk].desk_flags.conflicts == [src] or [
        o.pk for o in found[scd.pk].desk_flags.conflicts
    ] == [src.pk]
    assert [o.pk for o in found[src.pk].desk_flags.conflicts] == [scd.pk]
    assert found[same.pk].desk_flags.conflicts == []  # a sibling area is not nested
    flagged = staff_client.get(reverse(DESK), {"flag": "conflict"})
    assert set(rows(flagged)) == {scd.pk, src.pk}
    assert "conflict" in flagged.content.decode()


def test_same_counts_are_no_conflict(staff_client, idleb):
    one = ReportFactory(area=idleb, period_start=DAY, period_end=DAY, killed=3)
    ReportFactory(area=idleb, period_start=DAY, period_end=DAY, killed=3)
    assert rows(staff_client.get(reverse(DESK)))[one.pk].desk_flags.conflicts == []


def test_outliers_far_above_others_or_above_population(staff_client, idleb):
    big = ReportFactory(area=idleb, period_start=DAY, period_end=DAY, displaced=500, killed=None)
    ReportFactory(area=idleb, period_start=DAY, period_end=DAY, displaced=20, killed=None)
    crowd = ReportFactory(
        area=idleb,
        period_start=DAY - datetime.timedelta(days=5),
        period_end=DAY - datetime.timedelta(days=5),
        displaced=2000,
    )
    found = rows(staff_client.get(reverse(DESK)))
    assert "10×" in found[big.pk].desk_flags.outliers[0]
    assert any("population" in o for o in found[crowd.pk].desk_flags.outliers)


def test_possible_duplicates_are_flagged(staff_client):
    first = ReportFactory()
    again = ReportFactory(possible_duplicate_of=first)
    found = rows(staff_client.get(reverse(DESK), {"flag": "duplicate"}))
    assert set(found) == {again.pk}


@pytest.mark.parametrize("query", ["Idlib", "Idleb", "idleb"])
def test_search_by_name_or_alias(staff_client, idleb, query):
    inside = ReportFactory(area=idleb)
    ReportFactory()
    assert set(rows(staff_client.get(reverse(DESK), {"q": query}))) == {inside.pk}


def test_filter_by_governorate(staff_client, idleb):
    inside = ReportFactory(area=idleb)
    ReportFactory()
    found = rows(staff_client.get(reverse(DESK), {"governorate": idleb.parent.pcode}))
    assert set(found) == {inside.pk}


def test_pending_revision_shows_its_values(staff_client, idleb):
    report = ReportFactory(area=idleb, killed=3)
    staff = StaffFactory()
    services.report_verify(report=report, user=staff)
    services.report_update(report=report, user=report.submitted_by, killed=4)
    found = rows(staff_client.get(reverse(DESK)))
    assert found[report.pk].desk_statement.counts["killed"] == 4


def test_the_desk_reads_a_page_in_a_few_queries(staff_client, idleb, django_assert_max_num_queries):
    for n in range(30):
        ReportFactory(
            agency=AgencyFactory(code=f"A{n % 4}"),
            area=idleb,
            period_start=DAY,
            period_end=DAY,
            killed=n,
            source_url="https://example.org/x",
        )
    with django_assert_max_num_queries(14):
        response = staff_client.get(reverse(DESK))
    assert len(response.context["cl"].result_list) == 30


def test_the_desk_costs_the_same_queries_however_many_reports(staff_client, idleb):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse(DESK)).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            report = ReportFactory(
                agency=AgencyFactory(code=f"A{i % 5}"),
                area=idleb if i % 2 else idleb.parent,
                period_start=DAY,
                killed=i,
                possible_duplicate_of=None,
            )
            if i % 3 == 0:  # verified, with a pending revision
                services.report_verify(report=report, user=StaffFactory())
                services.report_update(report=report, user=report.submitted_by, killed=i + 1)

    add(4)
    few = queries()
    add(60)  # past a page (50)
    assert queries() == few


@pytest.mark.parametrize(
    "url",
    [
        reverse(DESK),
        reverse(DESK) + "?flag=conflict",
        reverse("admin:tracker_report_changelist"),
        reverse("admin:tracker_reportrevision_changelist"),
        reverse("admin:tracker_dailyfigure_changelist"),
    ],
)
def test_lists_count_no_whole_table(staff_client, idleb, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ReportFactory.create_batch(3, area=idleb)
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(url).status_code == 200
    assert not [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]


def page(report):
    return reverse("admin:tracker_report_change", args=[report.pk])


def test_report_page_shows_others_and_no_save(staff_client, idleb):
    report = ReportFactory(area=idleb, period_start=DAY, period_end=DAY, killed=3)
    other = ReportFactory(
        area=idleb.parent, period_start=DAY, period_end=DAY, status=ReportStatus.REJECTED
    )
    ReportFactory(area=idleb, period_start=DAY + datetime.timedelta(days=3))
    response = staff_client.get(page(report))
    assert [o.pk for o in response.context["desk"]["others"]] == [other.pk]
    html = response.content.decode()
    assert 'name="_verify"' in html and 'name="_reject"' in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html


def test_verify_from_the_report_page_logs_who(staff_client, idleb):
    from django.contrib.admin.models import LogEntry

    report = ReportFactory(area=idleb)
    response = staff_client.post(
        page(report), {"_verify": "", "updated_at": report.updated_at.isoformat()}, follow=True
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.VERIFIED
    assert report.verified_by == response.wsgi_request.user
    entry = LogEntry.objects.get(object_id=str(report.pk))
    assert entry.user == response.wsgi_request.user and "verified" in entry.get_change_message()


def test_reject_needs_a_reason(staff_client, idleb):
    report = ReportFactory(area=idleb)
    response = staff_client.post(
        page(report),
        {"_reject": "", "reason": "  ", "updated_at": report.updated_at.isoformat()},
        follow=True,
    )
    assert "Say why the report is rejected" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING


def test_a_stale_form_changes_nothing(staff_client, idleb):
    report = ReportFactory(area=idleb)
    opened = report.updated_at.isoformat()
    services.report_reject(report=report, user=StaffFactory(), reason="first")
    response = staff_client.post(page(report), {"_verify": "", "updated_at": opened}, follow=True)
    assert "changed since you opened it" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED


def test_a_save_writes_nothing(staff_client, idleb):
    report = ReportFactory(area=idleb)
    before = (report.updated_at, report.history.count())
    staff_client.post(page(report), {"_save": "", "updated_at": report.updated_at.isoformat()})
    report.refresh_from_db()
    assert (report.updated_at, report.history.count()) == before


def test_pending_revision_side_by_side(staff_client, idleb):
    report = ReportFactory(area=idleb, killed=3)
    services.report_verify(report=report, user=StaffFactory())
    services.report_update(report=report, user=report.submitted_by, killed=4)
    desk = staff_client.get(page(report)).context["desk"]
    assert ("killed", 3, 4) in desk["versions"]


def test_the_report_page_in_a_few_queries(
    staff_client, idleb, calendar, django_assert_max_num_queries
):
    report = ReportFactory(area=idleb, period_start=DAY, period_end=DAY)
    for _ in range(20):
        ReportFactory(area=idleb, period_start=DAY, period_end=DAY)
    # The figures preview runs the engine's statements for each level (about 20 of them).
    with django_assert_max_num_queries(60):
        staff_client.get(page(report))


def test_home_links_to_the_admin_and_the_api_docs(client):
    html = client.get("/").content.decode()
    assert 'href="/admin/"' in html and 'href="/api/docs/"' in html
