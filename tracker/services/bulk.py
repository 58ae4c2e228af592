"""Importing many reports at once, as one agency: all-or-nothing unless told otherwise."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.errors import error_dict
from tracker.models import Agency, Report, User
from tracker.models.reports import report_problems
from tracker.services.fast_insert import reports_insert
from tracker.services.figures import figures_mark, stale_cells
from tracker.services.reports import COUNTING_STATUSES, report_submit

BATCH = 5000

Row = tuple[int, dict]  # (row number as the client counts, validated fields)


@dataclass
class ImportSummary:
    dry_run: bool
    atomic: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)

    def refuse(self, row: int, errors: dict) -> None:
        self.rejected += 1
        self.errors.append({"row": row, "errors": errors})

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _series_clashes(agency: Agency, new: list[Row]) -> dict[int, dict]:
    """Rows that would give an agency a second running total for an area (DESIGN.md, rule 2)."""
    areas = {fields["area"].pk for _, fields in new if fields.get("cumulative")}
    series = defaultdict(list)
    stored = Report.objects.filter(
        agency=agency, area__in=areas, cumulative=True, status__in=COUNTING_STATUSES
    ).values_list("area_id", "period_start", "period_end")
    for area_id, start, end in stored:
        series[area_id].append((start, end, "a stored report"))
    clashes = {}
    for row, fields in new:
        if not fields.get("cumulative"):
            continue
        area_id, first, last = fields["area"].pk, fields["period_start"], fields["period_end"]
        for start, end, where in series[area_id]:
            if start <= last and end >= first and start != first:
                message = (
                    f"This agency's cumulative series for this area starts on {start} ({where}); "
                    "a running total keeps one start date."
                )
                clashes[row] = {"period_start": [message]}
                break
        else:
            series[area_id].append((first, last, f"row {row}"))
    return clashes


def _plan(agency: Agency, rows: list[Row], summary: ImportSummary):
    """Check every row: the new reports to insert, and the corrections of stored ones."""
    ids = [fields["external_id"] for _, fields in rows if fields.get("external_id")]
    stored_ids = set(
        Report.objects.filter(agency=agency, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    today = timezone.localdate()
    first_use: dict[str, int] = {}
    new, corrections = [], []
    for row, fields in rows:
        external_id = fields.get("external_id")
        if external_id in first_use:
            message = f"Repeats row {first_use[external_id]} of this upload."
            summary.refuse(row, {"external_id": [message]})
            continue
        if external_id:
            first_use[external_id] = row
        fields.setdefault("period_end", fields["period_start"])
        problems = report_problems(fields, today=today)
        if problems:
            summary.refuse(row, error_dict(ValidationError(problems)))
        elif external_id in stored_ids:
            corrections.append((row, fields))
        else:
            new.append((row, fields))
    clashes = _series_clashes(agency, new)
    for row, errors in clashes.items():
        summary.refuse(row, errors)
    return [(row, fields) for row, fields in new if row not in clashes], corrections


def _insert(reports: list[dict], agency: Agency, user: User) -> None:
    for start in range(0, len(reports), BATCH):
        batch = reports[start : start + BATCH]
        try:
            with transaction.atomic():
                reports_insert(batch, agency=agency, user=user)
                places = [
                    (
                        f["area"].pk,
                        agency.pk,
                        f["period_start"],
                        f["period_end"] or f["period_start"],
                    )
                    for f in batch
                ]
                figures_mark(stale=stale_cells(*places))
        except IntegrityError:
            # Another request took one of these external ids meanwhile: one by one, as corrections.
            for fields in batch:
                report_submit(agency=agency, submitted_by=user, **fields)


def _correct(agency, user, corrections: list[Row], summary: ImportSummary) -> None:
    for row, fields in corrections:
        try:
            with transaction.atomic():
                _, outcome = report_submit(agency=agency, submitted_by=user, **fields)
        except ValidationError as error:
            summary.refuse(row, error_dict(error))
        else:
            summary.count(outcome)


@transaction.atomic
def reports_import(
    *,
    agency: Agency,
    user: User,
    rows: list[Row],
    refused: list[dict] = (),
    dry_run: bool,
    atomic: bool,
) -> ImportSummary:
    """Create, or correct through `external_id`, many reports; nothing is written on a dry run,
    and with `atomic` nothing is written unless every row is valid. `refused` are the errors of
    rows already found invalid: {"row": n, "errors": {field: [messages]}}."""
    summary = ImportSummary(dry_run=dry_run, atomic=atomic)
    for error in refused:
        summary.refuse(error["row"], error["errors"])
    new, corrections = _plan(agency, rows, summary)
    if not (atomic and summary.errors):
        if not dry_run:
            _insert([fields for _, fields in new], agency, user)
        summary.created = len(new)
        _correct(agency, user, corrections, summary)
    if dry_run or (atomic and summary.errors):
        transaction.set_rollback(True)
        if not dry_run:
            summary.created = summary.updated = summary.unchanged = 0
    summary.errors.sort(key=lambda error: error["row"])
    return summary
