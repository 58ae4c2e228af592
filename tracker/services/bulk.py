"""Importing many reports at once, as one agency: all-or-nothing unless told otherwise."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.errors import Duplicate, StateError, error_dict
from tracker.models import Agency, Report, User
from tracker.models.reports import report_problems
from tracker.services.duplicates import (
    DuplicateIndex,
    Statement,
    row_ref,
    stored_statements,
    upload_row,
)
from tracker.services.fast_insert import report_ids_reserve, reports_insert
from tracker.services.figures import figures_mark, stale_cells
from tracker.services.reports import COUNTING_STATUSES, report_submit

BATCH = 5000

Row = tuple[int, dict]  # (row number as the client counts, validated fields)
Marks = tuple[int | None, int | None]  # (duplicate_of, possible_duplicate_of): ids or row refs


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


def duplicate_errors(ref: int) -> dict:
    """A row's errors when it repeats a stored report's statement, or an earlier row's."""
    row = upload_row(ref)
    if row is None:
        return {"duplicate": [str(Duplicate(ref))], "duplicate_of": ref}
    message = (
        f"The same statement as row {row} of this upload: same area, period, cumulative flag "
        'and counts. Set "duplicate" to "confirmed" to submit both.'
    )
    return {"duplicate": [message]}


def _duplicates(
    agency: Agency, new: list[Row], confirmed: set[int], summary: ImportSummary
) -> tuple[list[Row], dict[int, Marks]]:
    """Refuse the rows repeating a statement, stored or earlier in the upload, unless confirmed;
    the marks of the rows kept. One query for the whole upload."""
    if not new:
        return new, {}
    statements = {row: Statement.of_fields(fields) for row, fields in new}
    index = DuplicateIndex(
        stored_statements(
            agency.pk,
            since=min(s.start for s in statements.values()),
            until=max(s.end for s in statements.values()),
        )
    )
    kept, marks = [], {}
    for row, fields in new:
        statement = statements[row]
        same = index.same(statement)
        if same is not None and row not in confirmed:
            summary.refuse(row, duplicate_errors(same))
            continue
        marks[row] = (same, index.file(row_ref(row), statement))
        kept.append((row, fields))
    return kept, marks


def _plan(agency: Agency, rows: list[Row], summary: ImportSummary):
    """Check every row: the new reports to insert with their marks, and the corrections of
    stored ones."""
    confirmed = {row for row, fields in rows if fields.pop("duplicate", None) == "confirmed"}
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
    new = [(row, fields) for row, fields in new if row not in clashes]
    new, marks = _duplicates(agency, new, confirmed, summary)
    return new, marks, confirmed, corrections


def _insert(agency, user, new: list[Row], marks: dict[int, Marks], summary, confirmed) -> None:
    report_ids: dict[int, int] = {}  # row -> its report's id

    def resolved(ref: int | None) -> int | None:
        row = None if ref is None else upload_row(ref)
        return ref if row is None else report_ids.get(row)

    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        try:
            with transaction.atomic():
                ids = report_ids_reserve(len(batch))
                report_ids.update((row, id_) for (row, _), id_ in zip(batch, ids, strict=True))
                reports = [
                    {
                        **fields,
                        "duplicate_of_id": resolved(marks[row][0]),
                        "possible_duplicate_of_id": resolved(marks[row][1]),
                    }
                    for row, fields in batch
                ]
                reports_insert(reports, agency=agency, user=user, ids=ids)
                places = [
                    (f["area"].pk, agency.pk, f["period_start"], f["period_end"]) for f in reports
                ]
                figures_mark(stale=stale_cells(*places))
            summary.created += len(batch)
        except IntegrityError:
            # Another request took one of these external ids meanwhile: one by one, as corrections.
            for row, _ in batch:
                report_ids.pop(row, None)
            _one_by_one(agency, user, batch, summary, confirmed, report_ids)


def _one_by_one(agency, user, rows: list[Row], summary, confirmed, report_ids=None) -> None:
    for row, fields in rows:
        try:
            with transaction.atomic():
                report, outcome = report_submit(
                    agency=agency,
                    submitted_by=user,
                    duplicate_confirmed=row in confirmed,
                    **fields,
                )
        except Duplicate as error:
            summary.refuse(row, duplicate_errors(error.duplicate_of))
        except StateError as error:
            summary.refuse(row, {"external_id": [str(error)]})
        except ValidationError as error:
            summary.refuse(row, error_dict(error))
        else:
            summary.count(outcome)
            if report_ids is not None:
                report_ids[row] = report.pk


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
    and with `atomic` nothing is written unless every row is valid. A row whose `duplicate` is
    "confirmed" may repeat a statement. `refused` are the errors of rows already found invalid:
    {"row": n, "errors": {field: [messages]}}."""
    summary = ImportSummary(dry_run=dry_run, atomic=atomic)
    for error in refused:
        summary.refuse(error["row"], error["errors"])
    new, marks, confirmed, corrections = _plan(agency, rows, summary)
    if not (atomic and summary.errors):
        if dry_run:
            summary.created = len(new)
        else:
            _insert(agency, user, new, marks, summary, confirmed)
        _one_by_one(agency, user, corrections, summary, confirmed)
    if dry_run or (atomic and summary.errors):
        transaction.set_rollback(True)
        if not dry_run:
            summary.created = summary.updated = summary.unchanged = 0
    summary.errors.sort(key=lambda error: error["row"])
    return summary


def reports_import_marks(*, agency: Agency, rows: list[Row]) -> tuple[dict[int, Marks], list[int]]:
    """For a preview of an import: the marks each new row would be stored with
    ((duplicate_of, possible_duplicate_of): report ids, or references to rows, see
    `upload_row`), and the rows that would correct a stored report through `external_id`.
    Checked as `reports_import` checks them; reads only."""
    summary = ImportSummary(dry_run=True, atomic=False)
    _, marks, _, corrections = _plan(agency, [(row, dict(f)) for row, f in rows], summary)
    return marks, [row for row, _ in corrections]
