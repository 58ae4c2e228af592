"""Loading a scenario file: agencies, their users and their reports, as agencies send them."""

import json
from datetime import date
from pathlib import Path

from django.db import transaction

from tracker.models import Area, ReportStatus, Role, User
from tracker.services.agencies import agency_ensure
from tracker.services.reports import (
    SUBMITTED_FIELDS,
    report_reject,
    report_submit,
    report_verify,
)


def _user(entry: dict) -> User:
    agency = agency_ensure(code=entry["agency"])
    user, _ = User.objects.get_or_create(
        username=entry["username"], defaults={"agency": agency, "role": Role(entry["role"])}
    )
    return user


def _report_fields(entry: dict, areas: dict[str, Area]) -> dict:
    fields = {name: entry[name] for name in SUBMITTED_FIELDS if name in entry}
    fields["area"] = areas[entry["area"]]
    if "destination" in entry:
        fields["destination"] = areas[entry["destination"]]
    for name in ("period_start", "period_end"):
        if name in fields:
            fields[name] = date.fromisoformat(fields[name])
    return fields


@transaction.atomic
def scenario_load(*, path: Path) -> dict[str, int]:
    """Load a scenario; loading it again changes nothing. Returns counts by outcome."""
    scenario = json.loads(Path(path).read_text(encoding="utf-8"))
    for entry in scenario["agencies"]:
        agency = agency_ensure(code=entry["code"], name=entry["name"])
        if agency.name != entry["name"]:
            agency.name = entry["name"]
            agency.save()
    users = {entry["username"]: _user(entry) for entry in scenario["users"]}
    verifier = users[scenario["verifier"]]
    reporters = {user.agency.code: user for user in users.values() if user.role == Role.REPORTER}
    areas = {area.pcode: area for area in Area.objects.filter(level__lte=2)}

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry in scenario["reports"]:
        reporter = reporters[entry["agency"]]
        report, outcome = report_submit(
            agency=reporter.agency, submitted_by=reporter, **_report_fields(entry, areas)
        )
        counts[outcome] += 1
        if report.status != ReportStatus.PENDING:
            continue
        if entry["status"] == ReportStatus.VERIFIED:
            report_verify(report=report, user=verifier)
        elif entry["status"] == ReportStatus.REJECTED:
            report_reject(report=report, user=verifier, reason=entry["reject_reason"])
    return counts
