"""The load test's data before the run and its checks after (bench/load.py), read straight from
the recipe's database once the worker has refreshed everything the run made stale."""

import time
from datetime import date

from django.core.management import call_command

from tracker.models import Area, DailyFigure, Report, ReportStatus, Role, StaleFigure
from tracker.services import user_issue_token
from tracker.services.figures import figures_differences

REPORTERS = ("LOADA", "LOADB", "LOADC", "LOADD")  # agencies submitting
SETTLE_SECONDS = 180


def seed(results: str, last_day: str) -> dict:
    """Tokens for each role, the founding scenario (to read), and the locust users' config."""
    call_command("load_scenario", verbosity=0)
    token = user_issue_token
    return {
        "reporters": [
            token(username=f"load-{code.lower()}", agency_code=code, role=Role.REPORTER)
            for code in REPORTERS
        ],
        "verifier": token(username="load-verifier", agency_code="LOADV", role=Role.VERIFIER),
        "viewer": token(username="load-viewer", agency_code="LOADR", role=Role.VIEWER),
        "areas": list(
            Area.objects.filter(level=3).order_by("pcode").values_list("pcode", flat=True)
        ),
        "read_areas": ["SY", "SY02", "SY07", "SY0700", "SY0200"],
        "last_day": last_day,
        "results": str(results),
    }


def check(results: dict, healthz) -> list[str]:
    """Every accepted submission stored as sent; every verified one in the figures, which equal
    a rebuild from the reports. Returns what is wrong."""
    if not _settled():
        return [f"figures still stale {SETTLE_SECONDS} s after the run"]
    problems = []
    accepted = {report["id"]: report for report in results["accepted"]}
    stored = Report.objects.filter(id__in=accepted).select_related("area")
    found = {report.id: report for report in stored}
    for number, sent in accepted.items():
        report = found.get(number)
        if report is None:
            problems.append(f"accepted report {number} is not stored")
        elif (report.area.pcode, report.period_start.isoformat(), report.killed,
              report.displaced, report.external_id) != (sent["area"], sent["period_start"],
              sent["killed"], sent["displaced"], sent["external_id"]):  # fmt: skip
            problems.append(f"report {number} is not stored as sent")
    verified = results["verified"]
    figures = {
        (pcode, day.isoformat()): killed
        for pcode, day, killed in DailyFigure.objects.filter(
            area__pcode__in={report["area"] for report in verified},
            date__in={date.fromisoformat(report["period_start"]) for report in verified},
        ).values_list("area__pcode", "date", "killed")
    }
    for report in verified:
        if found.get(report["id"]) and found[report["id"]].status != ReportStatus.VERIFIED:
            problems.append(f"report {report['id']} was verified and is not")
        if figures.get((report["area"], report["period_start"])) != report["killed"]:
            problems.append(f"report {report['id']}'s figure is not its count")
    differing = figures_differences()
    if differing:
        problems.append(f"{differing} cell(s) differ from a rebuild")
    print(
        f"{len(accepted)} submissions accepted, {len(accepted) - len(found)} missing; "
        f"{len(verified)} verified; {differing} cell(s) differ from a rebuild "
        f"(rebuild_figures --check); /healthz after: {healthz()}"
    )
    return problems


def _settled() -> bool:
    deadline = time.monotonic() + SETTLE_SECONDS
    while StaleFigure.objects.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True
