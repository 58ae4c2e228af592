"""Who can do what: every role x every operation x own and other agency's reports."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import AgencyFactory, AreaFactory, ReportFactory, UserFactory
from tracker.models import Report, ReportStatus, Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"
NEW = {"area": "ZZ0909", "period_start": "2024-11-28", "killed": 1}

# operation -> (method, path suffix, body)
OPERATIONS = {
    "read": ("get", "{id}/", None),
    "patch": ("patch", "{id}/", {"killed": 2}),
    "put": ("put", "{id}/", NEW),
    "withdraw": ("delete", "{id}/?reason=sent+by+mistake", None),
    "verify": ("post", "{id}/verify/", None),
    "reject": ("post", "{id}/reject/", {"reason": "duplicate"}),
    "reopen": ("post", "{id}/reopen/", {"reason": "rejected by mistake"}),
}

# (role, whose report, its status) -> expected status of each operation, in OPERATIONS' order
EXPECTED = {
    ("reporter", "own", "pending"): (200, 200, 200, 204, 403, 403, 403),
    ("reporter", "other", "pending"): (404, 404, 404, 404, 403, 403, 403),
    ("reporter", "other", "verified"): (200, 403, 403, 403, 403, 403, 403),
    ("reporter", "own", "verified"): (200, 200, 200, 204, 403, 403, 403),  # a pending revision
    ("viewer", "own", "pending"): (200, 403, 403, 403, 403, 403, 403),
    ("viewer", "other", "pending"): (404, 403, 403, 403, 403, 403, 403),
    ("viewer", "other", "verified"): (200, 403, 403, 403, 403, 403, 403),
    ("verifier", "other", "pending"): (200, 403, 403, 204, 200, 200, 409),
    ("verifier", "other", "verified"): (200, 403, 403, 204, 200, 200, 409),
    ("verifier", "other", "rejected"): (200, 403, 403, 204, 409, 409, 200),
    ("reporter", "other", "rejected"): (404, 404, 404, 404, 403, 403, 403),
    ("reporter", "own", "rejected"): (200, 409, 409, 204, 403, 403, 403),
}  # fmt: skip
CASES = [
    (*case, operation, code)
    for case, codes in EXPECTED.items()
    for operation, code in zip(OPERATIONS, codes, strict=True)
]


@pytest.mark.parametrize(("role", "whose", "status", "operation", "expected"), CASES)
def test_access_matrix(role, whose, status, operation, expected):
    AreaFactory(pcode="ZZ0909")
    mine, theirs = AgencyFactory(code="MINE"), AgencyFactory(code="THEIRS")
    user = UserFactory(agency=mine, role=Role(role))
    report = ReportFactory(agency=mine if whose == "own" else theirs, status=status, killed=1)
    before = Report.objects.get(pk=report.pk)
    method, suffix, body = OPERATIONS[operation]
    response = getattr(client_for(user), method)(
        URL + suffix.format(id=report.pk), body, format="json"
    )
    assert response.status_code == expected, response.content
    if expected >= 400:
        after = Report.objects.get(pk=report.pk)
        assert (after.status, after.killed, after.updated_at) == (
            before.status,
            before.killed,
            before.updated_at,
        )


@pytest.mark.parametrize("role", ["viewer", "verifier"])
def test_only_reporters_submit(role):
    AreaFactory(pcode="ZZ0909")
    user = UserFactory(role=Role(role))
    assert client_for(user).post(URL, NEW, format="json").status_code == 403
    assert client_for(user).post(URL + "bulk/", [NEW], format="json").status_code == 403
    assert not Report.objects.exists()


def test_lists_show_verified_reports_of_all_and_everything_of_ones_own():
    mine, theirs = AgencyFactory(code="MINE"), AgencyFactory(code="THEIRS")
    visible = {
        ReportFactory(agency=mine, status=ReportStatus.PENDING).pk,
        ReportFactory(agency=mine, status=ReportStatus.REJECTED).pk,
        ReportFactory(agency=theirs, status=ReportStatus.VERIFIED).pk,
    }
    ReportFactory(agency=theirs, status=ReportStatus.PENDING)
    ReportFactory(agency=theirs, status=ReportStatus.REJECTED)
    viewer = client_for(UserFactory(agency=mine, role=Role.VIEWER))
    assert {r["id"] for r in viewer.get(URL).json()["results"]} == visible
    verifier = client_for(UserFactory(agency=mine, role=Role.VERIFIER))
    assert verifier.get(URL).json()["count"] == 5


def test_other_agencies_do_not_see_who_submitted_or_the_notes():
    report = ReportFactory(status=ReportStatus.VERIFIED, notes="call Ahmad on +963...")
    outsider = client_for(UserFactory(role=Role.VIEWER))
    seen = outsider.get(f"{URL}{report.pk}/").json()
    assert seen["agency"] == report.agency.code and seen["displaced"] == report.displaced
    assert "notes" not in seen and "submitted_by" not in seen
    insider = client_for(UserFactory(agency=report.agency, role=Role.VIEWER))
    assert insider.get(f"{URL}{report.pk}/").json()["notes"] == report.notes


@pytest.mark.parametrize(
    "path", ["/api/v1/reports/", "/api/v1/areas/", "/api/v1/me/", "/api/v1/reports/1/"]
)
def test_anonymous_callers_get_401(path):
    assert APIClient().get(path).status_code == 401


def test_an_account_without_agency_has_no_api_role():
    staff = UserFactory(agency=None, role="", is_staff=True)
    assert client_for(staff).get(URL).status_code == 403
