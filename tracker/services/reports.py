"""Submitting, correcting, verifying, rejecting, withdrawing and reopening reports.

A correction of a verified report becomes a pending revision (tracker/services/revisions.py):
the report stays verified and counts with its verified values until a verifier verifies the
revision (its values replace them) or rejects it.
"""

import zlib
from collections.abc import Collection
from datetime import date
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.errors import Duplicate, NotAllowed, Stale, StateError
from tracker.models import (
    Agency,
    Area,
    Report,
    ReportRevision,
    ReportStatus,
    RevisionStatus,
    Role,
    User,
)
from tracker.models.reports import CHILD_FIELDS, COUNT_FIELDS
from tracker.services.duplicates import duplicates_of
from tracker.services.figures import figures_mark, stale_cells
from tracker.services.revisions import (
    has_values,
    pending_revision,
    revised_values,
    revision_add,
    revision_decide,
)

# What a submitting agency may set; everything else is the tracker's.
SUBMITTED_FIELDS = (
    "area",
    "period_start",
    "period_end",
    *COUNT_FIELDS,
    *CHILD_FIELDS,
    "cumulative",
    "destination",
    "external_id",
    "source_url",
    "source_name",
    "notes",
)
COUNTING_STATUSES = (ReportStatus.PENDING, ReportStatus.VERIFIED)
RELATED_FIELDS = [
    "agency",
    "submitted_by",
    "area",
    "destination",
    "verified_by",
    "duplicate_of",
    "possible_duplicate_of",
]
Place = tuple[int, int, date, date]


def _place(report: Report) -> Place:
    return report.area_id, report.agency_id, report.period_start, report.period_end


def _revision_place(report: Report, revision: ReportRevision) -> Place:
    return revision.area_id, report.agency_id, revision.period_start, revision.period_end


def _save(report: Report, *, user: User, reason: str, stale: list[Place] = ()) -> Report:
    """Save with history, and mark the figures it touches (and the `stale` places) as stale."""
    # Set the acting user explicitly: history must not depend on a request being around.
    report._history_user = user
    report._change_reason = reason
    report.save()
    figures_mark(stale=stale_cells(*stale, _place(report)))
    return report


SERIES_LOCK_SPACE = 7_302  # pg_advisory_xact_lock(SERIES_LOCK_SPACE, key of agency and area)


def series_lock(agency_id: int, area_ids: Collection[int]) -> None:
    """Serialise, until the transaction ends, the checks and writes of an agency's cumulative
    series in these areas: two transactions cannot each miss the other's new running total.
    Locks are taken in a fixed order (no deadlock between two callers). SQLite serialises
    writers already (BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "a series lock lasts a transaction: take it in one"
    keys = sorted({zlib.crc32(f"{agency_id}:{area_id}".encode()) - 2**31 for area_id in area_ids})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SERIES_LOCK_SPACE, key])


def _check_cumulative_series(report: Report) -> None:
    """One agency keeps one running total per area and crisis (DESIGN.md, rule 2)."""
    if not report.cumulative:
        return
    series_lock(report.agency_id, [report.area_id])
    clash = (
        Report.objects.filter(
            agency=report.agency_id,
            area=report.area_id,
            cumulative=True,
            status__in=COUNTING_STATUSES,
            period_start__lte=report.period_end,
            period_end__gte=report.period_start,
        )
        .exclude(Q(pk=report.pk) | Q(period_start=report.period_start))
        .order_by("period_start")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "period_start": f"This agency's cumulative series for {report.area.pcode} "
                f"starts on {clash.period_start} (report {clash.pk}); a running total keeps one "
                "start date."
            }
        )


def _check_external_id(report: Report) -> None:
    if report.external_id:
        taken = Report.objects.filter(agency=report.agency_id, external_id=report.external_id)
        other = taken.exclude(pk=report.pk).values_list("pk", flat=True).first()
        if other is not None:
            raise ValidationError({"external_id": f"Already used by your report {other}."})


def _validate(report: Report) -> None:
    if report.period_end is None:
        report.period_end = report.period_start
    # clean() says the same as the database's constraints, naming the fields. Related areas,
    # agency and user come as loaded instances: no need to query that they exist.
    report.full_clean(exclude=RELATED_FIELDS, validate_constraints=False)
    _check_external_id(report)
    _check_cumulative_series(report)


def _check_fields(fields: dict) -> None:
    unknown = sorted(set(fields) - set(SUBMITTED_FIELDS))
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in unknown})


@transaction.atomic
def report_create(
    *,
    agency: Agency,
    submitted_by: User,
    area: Area,
    period_start: date,
    duplicate_confirmed: bool = False,
    **fields,
) -> Report:
    """A new pending report from `agency`. `fields` are any of SUBMITTED_FIELDS. The same
    statement as one of the agency's pending or verified reports raises Duplicate unless
    `duplicate_confirmed`."""
    return _create(
        agency=agency,
        submitted_by=submitted_by,
        area=area,
        period_start=period_start,
        duplicate_confirmed=duplicate_confirmed,
        **fields,
    )


def _create(
    *, agency, submitted_by, area, period_start, duplicate_confirmed: bool = False, **fields
):
    _check_fields(fields)
    report = Report(
        agency=agency, submitted_by=submitted_by, area=area, period_start=period_start, **fields
    )
    _validate(report)
    same, possible = duplicates_of(report)
    if same is not None and not duplicate_confirmed:
        raise Duplicate(same)
    report.duplicate_of_id, report.possible_duplicate_of_id = same, possible
    return _save(report, user=submitted_by, reason="submitted")


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def report_update(
    *, report: Report, user: User, if_match: Collection[str] | None = None, **changes
) -> Report:
    """Change a pending report's submitted fields. A change of a verified report becomes its
    pending revision: its verified values with `changes` applied. With `if_match` (ETags), a
    report whose version is none of them raises Stale, checked on the locked row: of two
    changes made from one version, the second is refused, not lost."""
    _check_fields(changes)
    report = _locked(report)
    if if_match is not None and report.etag() not in if_match:
        raise Stale(f"Report {report.pk} changed since that version was read.")
    if report.status == ReportStatus.VERIFIED:
        proposed = {**revised_values(report), **changes}
        for name in ("area", "destination"):  # the ids give way to the objects given
            if name in changes:
                del proposed[f"{name}_id"]
        return _revise(report, user=user, proposed=proposed)[0]
    if report.status != ReportStatus.PENDING:
        raise StateError(
            f"Report {report.pk} is {report.status}; only pending and verified reports can change."
        )
    return _edit(report, user=user, changes=changes, reason="edited")


def _edit(report: Report, *, user: User, changes: dict, reason: str) -> Report:
    """Change a pending report in place."""
    was = _place(report)
    for field, value in changes.items():
        setattr(report, field, value)
    _validate(report)
    report.possible_duplicate_of_id = duplicates_of(report)[1]
    return _save(report, user=user, reason=reason, stale=[was])


def _revise(report: Report, *, user: User, proposed: dict) -> tuple[Report, str]:
    """A correction of a verified report: its new pending revision, superseding the pending one.
    Restating the verified values withdraws the pending one. Returns the report and the outcome
    ("updated" or "unchanged")."""
    if proposed.pop("external_id", report.external_id) != report.external_id:
        raise ValidationError({"external_id": "A verified report keeps its external_id."})
    pending = pending_revision(report)
    if pending is not None and has_values(pending, proposed):
        return report, "unchanged"
    if has_values(report, proposed):
        if pending is None:
            return report, "unchanged"
        reason = "the verified values restated"
        revision_decide(pending, user=user, status=RevisionStatus.SUPERSEDED, reason=reason)
        stale = [_revision_place(report, pending)]
        reason = f"revision {pending.number} superseded: {reason}"
        return _save(report, user=user, reason=reason, stale=stale), "updated"
    candidate = Report(**{f.attname: getattr(report, f.attname) for f in Report._meta.fields})
    candidate._state.adding = False  # the report as it would be, not a new one
    for name, value in proposed.items():
        setattr(candidate, name, value)
    _validate(candidate)  # as a report: the same rules
    stale = [] if pending is None else [_revision_place(report, pending)]
    revision = revision_add(report, user=user, proposed=proposed, superseding=pending)
    stale.append(_revision_place(report, revision))
    reason = f"revision {revision.number} submitted"
    return _save(report, user=user, reason=reason, stale=stale), "updated"


@transaction.atomic
def report_submit(
    *,
    agency: Agency,
    submitted_by: User,
    external_id: str = "",
    duplicate_confirmed: bool = False,
    **fields,
) -> tuple[Report, str]:
    """Create a report or, when the agency already used `external_id`, correct that one.

    Returns the report and "created", "updated" or "unchanged". A pending report is corrected in
    place; a verified one gets a pending revision; a rejected or withdrawn one cannot change
    (StateError). History keeps every version.
    """
    _check_fields(fields)
    if not external_id:
        report = _create(
            agency=agency,
            submitted_by=submitted_by,
            duplicate_confirmed=duplicate_confirmed,
            **fields,
        )
        return report, "created"
    existing = _by_external_id(agency, external_id)
    if existing is None:
        try:
            with transaction.atomic():
                report = report_create(
                    agency=agency,
                    submitted_by=submitted_by,
                    external_id=external_id,
                    duplicate_confirmed=duplicate_confirmed,
                    **fields,
                )
            return report, "created"
        except (IntegrityError, ValidationError, Duplicate):
            # A concurrent request may have created it first (then it is also the same
            # statement, when committed meanwhile): then this is a correction.
            existing = _by_external_id(agency, external_id)
            if existing is None:
                raise
    return _correct(existing, user=submitted_by, fields=restated(fields))


def _correct(report: Report, *, user: User, fields: dict) -> tuple[Report, str]:
    if report.status == ReportStatus.VERIFIED:
        return _revise(report, user=user, proposed=fields)
    if has_values(report, fields):
        return report, "unchanged"
    if report.status == ReportStatus.PENDING:
        return _edit(report, user=user, changes=fields, reason="corrected"), "updated"
    raise StateError(uncorrectable(report.pk, report.status))


def uncorrectable(report_id: int, status: str) -> str:
    """Why a rejected or withdrawn report cannot be corrected, and what to do instead."""
    then = "a verifier can reopen it; or s" if status == ReportStatus.REJECTED else "S"
    return (
        f"Report {report_id} is {status} and cannot be corrected: "
        f"{then}ubmit a new report under another external_id."
    )


@cache
def _submitted_defaults() -> dict:
    return {
        name: Report._meta.get_field(name).get_default()
        for name in SUBMITTED_FIELDS
        if name != "external_id"
    }


def restated(fields: dict) -> dict:
    """A report's submitted fields as a whole restatement: what is left out is not reported."""
    full = {**_submitted_defaults(), **fields}
    full["period_end"] = full["period_end"] or full["period_start"]
    return full


def _by_external_id(agency: Agency, external_id: str) -> Report | None:
    reports = Report.objects.select_for_update().filter(agency=agency, external_id=external_id)
    return reports.first()


def _require_verifier(user: User, doing: str = "verify or reject reports") -> None:
    if not (user.is_staff or user.role == Role.VERIFIER):
        raise NotAllowed(f"Only verifiers can {doing}.")


def _require_reason(reason: str, why: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": f"Say why {why}."})
    return reason.strip()


@transaction.atomic
def report_verify(*, report: Report, user: User) -> Report:
    """Mark a pending report verified, so it counts in the daily figures; on a verified report
    with a pending revision, verify the revision: its values replace the report's."""
    _require_verifier(user)
    report = _locked(report)
    revision = pending_revision(report)
    if revision is not None:
        return _revision_verify(report, revision, user=user)
    if report.status == ReportStatus.VERIFIED:
        return report
    if report.status != ReportStatus.PENDING:
        raise StateError(f"Report {report.pk} is {report.status}; only pending can be verified.")
    report.status = ReportStatus.VERIFIED
    report.verified_by, report.verified_at = user, timezone.now()
    return _save(report, user=user, reason="verified")


def _revision_verify(report: Report, revision: ReportRevision, *, user: User) -> Report:
    was = _place(report)
    for name, value in revised_values(revision).items():
        setattr(report, name, value)
    _validate(report)
    report.possible_duplicate_of_id = duplicates_of(report)[1]
    report.verified_by, report.verified_at = user, timezone.now()
    revision_decide(revision, user=user, status=RevisionStatus.VERIFIED)
    return _save(report, user=user, reason=f"revision {revision.number} verified", stale=[was])


@transaction.atomic
def report_reject(*, report: Report, user: User, reason: str) -> Report:
    """Reject a pending or verified report, with the reason; it no longer counts. On a verified
    report with a pending revision, reject the revision: the report keeps its values."""
    _require_verifier(user)
    reason = _require_reason(reason, "the report is rejected")
    report = _locked(report)
    revision = pending_revision(report)
    if revision is not None:
        revision_decide(revision, user=user, status=RevisionStatus.REJECTED, reason=reason)
        return _save(
            report,
            user=user,
            reason=f"revision {revision.number} rejected: {reason}",
            stale=[_revision_place(report, revision)],
        )
    if report.status not in COUNTING_STATUSES:
        raise StateError(f"Report {report.pk} is {report.status}; it cannot be rejected.")
    report.status, report.status_reason = ReportStatus.REJECTED, reason
    report.full_clean()
    return _save(report, user=user, reason=f"rejected: {report.status_reason}")


@transaction.atomic
def report_reopen(*, report: Report, user: User, reason: str) -> Report:
    """Send a rejected report back to pending, saying why, for verifiers to decide again."""
    _require_verifier(user, "reopen reports")
    reason = _require_reason(reason, "the report is reopened")
    report = _locked(report)
    if report.status != ReportStatus.REJECTED:
        raise StateError(f"Report {report.pk} is {report.status}; only rejected can be reopened.")
    report.status, report.status_reason = ReportStatus.PENDING, reason
    report.full_clean()
    return _save(report, user=user, reason=f"reopened: {reason}")


@transaction.atomic
def report_withdraw(*, report: Report, user: User, reason: str = "") -> Report:
    """Withdraw a report: it stays stored and listed, with its history, but no longer counts.
    A verified report's withdrawal needs a reason; its pending revision is superseded."""
    if user.agency_id != report.agency_id:
        _require_verifier(user, "withdraw another agency's reports")
    report = _locked(report)
    if report.status == ReportStatus.WITHDRAWN:
        return report
    reason = reason.strip()
    if report.status == ReportStatus.VERIFIED:
        reason = _require_reason(reason, "a verified report is withdrawn: it counts in the figures")
    stale = []
    revision = pending_revision(report)
    if revision is not None:
        withdrawn = f"the report was withdrawn: {reason}"
        revision_decide(revision, user=user, status=RevisionStatus.SUPERSEDED, reason=withdrawn)
        stale.append(_revision_place(report, revision))
    report.status, report.status_reason = ReportStatus.WITHDRAWN, reason
    report.full_clean()
    reason = f"withdrawn: {report.status_reason}".rstrip(": ")
    return _save(report, user=user, reason=reason, stale=stale)
