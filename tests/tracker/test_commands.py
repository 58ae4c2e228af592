"""Management commands staff run: tokens, the founding scenario, the local demo."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from rest_framework.test import APIClient

from tests.factories import AgencyFactory, UserFactory
from tracker.models import Agency, Area, Report, ReportStatus

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_token_creates_agency_and_user_and_the_token_works():
    output = run("issue_token", "amal", "--agency", "SARC", "--role", "reporter")
    token = output.strip().splitlines()[-1]
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json() == {"username": "amal", "agency": "SARC", "role": "reporter"}
    second = run("issue_token", "amal", "--agency", "SARC", "--role", "reporter").strip()
    assert second != token, "a key is shown once: issuing again makes another token"
    for key in (token, second):
        assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_issue_token_refuses_to_move_a_user_to_another_agency():
    UserFactory(username="omar", agency=AgencyFactory(code="UNHCR"))
    with pytest.raises(CommandError, match="belongs to agency UNHCR"):
        run("issue_token", "omar", "--agency", "OCHA", "--role", "viewer")
    assert not Agency.objects.filter(code="OCHA").exists()


def test_a_bad_token_is_refused():
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope").status_code == 401
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_founding_scenario_loads_once_with_what_it_promises():
    assert "17 created" in run("load_scenario")
    assert "0 created, 0 updated, 17 unchanged" in run("load_scenario")
    reports = Report.objects.select_related("area", "agency")
    assert reports.count() == 17
    assert Counter(r.status for r in reports)[ReportStatus.VERIFIED] >= 10

    per_cell = (
        reports.filter(period_start="2024-11-28", period_end="2024-11-28", killed__isnull=False)
        .values("area")
        .annotate(agencies=Count("agency", distinct=True))
    )
    assert any(cell["agencies"] >= 2 for cell in per_cell), "two agencies, same area and day"
    assert {r.area.level for r in reports} >= {0, 1, 2}
    assert any(r.period_end > r.period_start for r in reports), "a multi-day report"
    series = Counter((r.agency.code, r.area.pcode, r.period_start) for r in reports if r.cumulative)
    assert max(series.values()) >= 3, "a cumulative series"
    idleb = Area.objects.get(pcode="SY07")
    facts = reports.get(external_id="OCHA-FU1-IDL-CAS")
    assert (facts.area, facts.killed, facts.status) == (idleb, 12, ReportStatus.VERIFIED)


def test_setup_demo_needs_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        run("setup_demo")


def test_setup_demo_prints_a_login_and_a_working_token(settings):
    settings.DEBUG = True
    output = run("setup_demo")
    token = output.strip().splitlines()[-1].split()[-1]
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["agency"] == "OCHA"
    assert "admin / admin" in output
    for role in ("verifier", "viewer", "reporter"):
        line = next(line for line in output.splitlines() if line.startswith(f"{role} login"))
        token = line.split()[-1]
        me = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").json()
        assert me["role"] == role


def test_rebuild_figures_check_finds_wrong_figures_and_a_rebuild_mends_them():
    from tracker.models import AgencyFigure, DailyFigure
    from tracker.services.figures import figures_refresh

    run("load_scenario")
    figures_refresh()
    assert run("rebuild_figures", "--check").strip() == "0 cell(s) differ from a rebuild."

    # A stored figure and an agency total under another area go wrong (a lost write, a bug):
    DailyFigure.objects.filter(area__pcode="SY07", date="2024-11-28").update(killed=7)
    idleb_district = AgencyFigure.objects.filter(area__pcode="SY0700").order_by("date").first()
    AgencyFigure.objects.filter(pk=idleb_district.pk).update(killed=10**6)
    with pytest.raises(CommandError):
        run("rebuild_figures", "--check")
    assert DailyFigure.objects.get(area__pcode="SY07", date="2024-11-28").killed == 7  # unchanged

    assert "Figures rebuilt" in run("rebuild_figures")
    assert run("rebuild_figures", "--check").strip() == "0 cell(s) differ from a rebuild."
    assert DailyFigure.objects.get(area__pcode="SY07", date="2024-11-28").killed == 5
