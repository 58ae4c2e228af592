"""Corrections in a bulk upload, written set-based: the same outcome, history and marks as
re-posting each report's external_id on its own."""

import pytest

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, UserFactory
from tracker.models import Report, ReportRevision, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
BULK = URL + "bulk/"


def row(external_id: str, **fields) -> dict:
    return {"area": "ZZ0101", "period_start": "2024-11-27", "killed": 3,
            "external_id": external_id, **fields}  # fmt: skip


def reasons(report: Report) -> list[str]:
    return list(
        report.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )


def test_a_pending_report_is_corrected_in_place_with_its_history(api, areas):
    api.post(BULK, [row("A"), row("B", area="ZZ0102", period_start="2024-11-20")], format="json")
    before = Report.objects.get(external_id="B")
    etag = api.get(f"{URL}{before.pk}/")["ETag"]
    corrected = [row("A"), row("B", period_start="2024-11-27", killed=5, notes="recounted")]
    summary = api.post(BULK, corrected, format="json").json()
    assert (summary["updated"], summary["unchanged"]) == (1, 1)
    after = Report.objects.get(external_id="B")
    assert (after.area.pcode, after.killed, after.notes) == ("ZZ0101", 5, "recounted")
    assert after.updated_at > before.updated_at and api.get(f"{URL}{after.pk}/")["ETag"] != etag
    assert reasons(after) == ["submitted", "corrected"]
    latest = after.history.latest("history_id")
    assert (latest.history_type, latest.history_user.username, latest.killed) == (
        "~",
        "reporter",
        5,
    )
    # Now about A's area and day: marked against A, the earliest report it may overlap.
    assert after.possible_duplicate_of_id == Report.objects.get(external_id="A").pk


def test_a_correction_is_marked_against_a_later_report_too(api, areas):
    """duplicates_of's rule: the earliest other report, even one created after it."""
    api.post(BULK, [row("A", period_start="2024-11-20"), row("B")], format="json")
    api.post(BULK, [row("A", killed=8)], format="json")  # now on B's day
    a, b = Report.objects.get(external_id="A"), Report.objects.get(external_id="B")
    assert (a.possible_duplicate_of_id, b.possible_duplicate_of_id) == (b.pk, None)


def test_bulk_history_matches_a_correction_posted_alone(api, areas, agency):
    """The history rows written in bulk say what report_submit's save() says."""
    twin = client_for(UserFactory(agency=AgencyFactory(code="TWIN"), role=Role.REPORTER))
    for client in (api, twin):
        client.post(URL, row("A", notes="first"), format="json")
    changed = row("A", killed=4, injured=6, cumulative=True, notes="second", destination="ZZ0102")
    twin.post(URL, changed, format="json")
    api.post(BULK, [changed], format="json")
    alone, bulk = (Report.objects.get(agency__code=code) for code in ("TWIN", agency.code))
    skipped = {"history_id", "history_date", "id", "agency", "submitted_by", "history_user",
               "created_at"}  # fmt: skip
    names = [f.attname for f in Report.history.model._meta.concrete_fields if f.name not in skipped]
    assert len(names) > 15

    def latest(report):
        return report.history.order_by("history_id").values(*names).last()

    assert latest(bulk) == latest(alone)
    assert latest(bulk)["history_change_reason"] == "corrected"


def test_verified_reports_get_revisions_superseded_then_restated(api, verifier_api, areas):
    api.post(BULK, [row("V", killed=3)], format="json")
    report = Report.objects.get(external_id="V")
    verifier_api.post(f"{URL}{report.pk}/verify/")
    assert api.post(BULK, [row("V", killed=4)], format="json").json()["updated"] == 1
    assert api.post(BULK, [row("V", killed=4)], format="json").json()["unchanged"] == 1
    assert api.post(BULK, [row("V", killed=5)], format="json").json()["updated"] == 1
    first, second = ReportRevision.objects.filter(report=report).order_by("number")
    assert (first.status, first.reason, second.status, second.killed) == (
        "superseded", "superseded by revision 2", "pending", 5,
    )  # fmt: skip
    assert first.decided_by.username == "reporter"
    history = first.history.order_by("history_id")
    assert list(history.values_list("history_change_reason", "history_type")) == [
        ("submitted", "+"), ("superseded: superseded by revision 2", "~"),
    ]  # fmt: skip
    assert api.post(BULK, [row("V", killed=3)], format="json").json()["updated"] == 1
    second.refresh_from_db()
    assert (second.status, second.reason) == ("superseded", "the verified values restated")
    report.refresh_from_db()
    assert (report.status, report.killed, report.pending_revision()) == ("verified", 3, None)
    assert reasons(report)[-3:] == [
        "revision 1 submitted",
        "revision 2 submitted",
        "revision 2 superseded: the verified values restated",
    ]
    assert api.get(f"{URL}{report.pk}/").json()["pending_revision"] is None


def test_a_correction_may_not_start_a_second_running_total(api, areas):
    series = {"area": "ZZ01", "cumulative": True, "killed": None, "displaced": 10}
    api.post(
        BULK,
        [row("S1", **series, period_end="2024-11-28", period_start="2024-11-26"),
         row("S2", **series, period_end="2024-11-25", period_start="2024-11-20")],
        format="json",
    )  # fmt: skip
    first = Report.objects.get(external_id="S1")
    moved = row("S2", **series, period_start="2024-11-27", period_end="2024-11-29")
    summary = api.post(BULK + "?atomic=false", [moved], format="json").json()
    (error,) = summary["errors"]
    assert f"report {first.pk}" in error["errors"]["period_start"][0]
    # A report moving its own series is no clash with itself.
    alone = row("S1", **series, period_start="2024-11-27", period_end="2024-11-28")
    assert api.post(BULK, [alone], format="json").json()["updated"] == 1
