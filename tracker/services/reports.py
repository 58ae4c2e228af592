"""Submitting, correcting, verifying, rejecting and withdrawing reports."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.errors import NotAllowed, StateError
from tracker.models import Agency, Area, Report, ReportStatus, Role, User
from tracker.models.reports import CHILD_FIELDS, COUNT_FIELDS
from tracker.services.figures import figures_mark, stale_cells

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
RELATED_FIELDS = ["agency", "submitted_by", "area", "destination", "verified_by"]


def _place(report: Report) -> tuple[int, int, date, date]:
    return report.area_id, report.agency_id, report.period_start, report.period_end


def _save(report: Report, *, user: User, reason: str, was: tuple | None = None) -> Report:
    """Save with history, and mark the figures it touches (where it `was` too) as stale."""
    # Set the acting user explicitly: history must not depend on a request being around.
    report._history_user = user
    report._change_reason = reason
    report.save()
    figures_mark(stale=stale_cells(*filter(None, (was, _place(report)))))
    return report


def _check_cumulative_series(report: Report) -> None:
    """One agency keeps one running total per area and crisis (DESIGN.md, rule 2)."""
    if not report.cumulative:
        return
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
    *, agency: Agency, submitted_by: User, area: Area, period_start: date, **fields
) -> Report:
    """A new pending report from `agency`. `fields` are any of SUBMITTED_FIELDS."""
    return _create(
        agency=agency, submitted_by=submitted_by, area=area, period_start=period_start, **fields
    )


def _create(*, agency: Agency, submitted_by: User, area: Area, period_start: date, **fields):
    _check_fields(fields)
    report = Report(
        agency=agency, submitted_by=submitted_by, area=area, period_start=period_start, **fields
    )
    _validate(report)
    return _save(report, user=submitted_by, reason="submitted")


@transaction.atomic
def report_update(*, report: Report, user: User, **changes) -> Report:
    """Change a pending report's submitted fields."""
    _check_fields(changes)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.PENDING:
        raise StateError(f"Report {report.pk} is {report.status}; only pending reports can change.")
    was = _place(report)
    for field, value in changes.items():
        setattr(report, field, value)
    _validate(report)
    return _save(report, user=user, reason="edited", was=was)


@transaction.atomic
def report_submit(
    *, agency: Agency, submitted_by: User, external_id: str = "", **fields
) -> tuple[Report, str]:
    """Create a report or, when the agency already used `external_id`, correct that one.

    Returns the report and "created", "updated" or "unchanged". A correction returns a verified or
    rejected report to pending, for re-verification; history keeps both versions.
    """
    _check_fields(fields)
    if not external_id:
        return _create(agency=agency, submitted_by=submitted_by, **fields), "created"
    existing = _by_external_id(agency, external_id)
    if existing is None:
        try:
            with transaction.atomic():
                report = report_create(
                    agency=agency, submitted_by=submitted_by, external_id=external_id, **fields
                )
            return report, "created"
        except (IntegrityError, ValidationError):
            # A concurrent request may have created it first: then this is a correction.
            existing = _by_external_id(agency, external_id)
            if existing is None:
                raise
    fields = restated(fields)
    if existing.status != ReportStatus.WITHDRAWN and all(
        getattr(existing, name) == value for name, value in fields.items()
    ):
        return existing, "unchanged"
    was = _place(existing)
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.status, existing.status_reason = ReportStatus.PENDING, ""
    _validate(existing)
    return _save(existing, user=submitted_by, reason="corrected", was=was), "updated"


def restated(fields: dict) -> dict:
    """A report's submitted fields as a whole restatement: what is left out is not reported."""
    full = {
        name: Report._meta.get_field(name).get_default()
        for name in SUBMITTED_FIELDS
        if name != "external_id"
    }
    full.update(fields)
    full["period_end"] = full["period_end"] or full["period_start"]
    return full


def _by_external_id(agency: Agency, external_id: str) -> Report | None:
    reports = Report.objects.select_for_update().filter(agency=agency, external_id=external_id)
    return reports.first()


def _require_verifier(user: User) -> None:
    if not (user.is_staff or user.role == Role.VERIFIER):
        raise NotAllowed("Only verifiers can verify or reject reports.")


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def report_verify(*, report: Report, user: User) -> Report:
    """Mark a pending report verified, so it counts in the daily figures."""
    _require_verifier(user)
    report = _locked(report)
    if report.status == ReportStatus.VERIFIED:
        return report
    if report.status != ReportStatus.PENDING:
        raise StateError(f"Report {report.pk} is {report.status}; only pending can be verified.")
    report.status = ReportStatus.VERIFIED
    report.verified_by, report.verified_at = user, timezone.now()
    return _save(report, user=user, reason="verified")


@transaction.atomic
def report_reject(*, report: Report, user: User, reason: str) -> Report:
    """Reject a pending or verified report, with the reason; it no longer counts."""
    _require_verifier(user)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the report is rejected."})
    report = _locked(report)
    if report.status not in COUNTING_STATUSES:
        raise StateError(f"Report {report.pk} is {report.status}; it cannot be rejected.")
    report.status, report.status_reason = ReportStatus.REJECTED, reason.strip()
    report.full_clean()
    return _save(report, user=user, reason=f"rejected: {report.status_reason}")


@transaction.atomic
def report_withdraw(*, report: Report, user: User, reason: str = "") -> Report:
    """Withdraw a report: it stays stored and listed, with its history, but no longer counts."""
    if user.agency_id != report.agency_id:
        _require_verifier(user)
    report = _locked(report)
    if report.status == ReportStatus.WITHDRAWN:
        return report
    report.status, report.status_reason = ReportStatus.WITHDRAWN, reason.strip()
    report.full_clean()
    return _save(report, user=user, reason=f"withdrawn: {report.status_reason}".rstrip(": "))
