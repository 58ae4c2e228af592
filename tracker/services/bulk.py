"""Importing many reports at once, as one agency: all-or-nothing unless told otherwise.

Every row is checked first (its values, its external_id, the agency's running totals, the same
statement twice), then the rows are written set-based: new reports by COPY (fast_insert.py),
corrections of stored ones by a few statements over staged rows (corrections.py), and the
figures they make stale marked once. One import of an agency runs at a time (an advisory lock
held by its transaction), so two uploads naming the same new external_id give one report, the
second correcting it, and never a clash of the database's unique index.
"""

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tracker.errors import Duplicate, StateError, error_dict
from tracker.models import Agency, Report, User
from tracker.models.reports import report_problems
from tracker.services.corrections import (
    EDIT,
    REVISE,
    corrections_apply,
    corrections_plan,
    stored_reports,
)
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
IMPORT_LOCK_SPACE = 7_303  # pg_advisory_xact_lock(IMPORT_LOCK_SPACE, agency id)
LOCK_POLL_SECONDS = 0.2

Row = tuple[int, dict]  # (row number as the client counts, validated fields)
Marks = tuple[int | None, int | None]  # (duplicate_of, possible_duplicate_of): ids or row refs
# Told how far an import got: (phase, rows done in it); "waiting" while another import of the
# agency runs, "writing" as rows are written.
Progress = Callable[[str, int], None]


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

    def count(self, outcome: str, rows: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + rows)


def _agency_lock(agency: Agency, progress: Progress | None) -> None:
    """Wait for the agency's other import to finish, until this transaction ends; telling
    `progress` meanwhile that this one is alive. SQLite serialises writers already."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_SPACE, agency.pk]
            )
            if cursor.fetchone()[0]:
                return
            if progress is not None:
                progress("waiting", 0)
            time.sleep(LOCK_POLL_SECONDS)


class Total(NamedTuple):
    """A row as the series check reads it: `corrects` the stored report it corrects, if any;
    `replaces` whether its values replace that report's (a pending report corrected in place;
    a revision's values block nothing until a verifier verifies them, as for one report)."""

    row: int
    area_id: int
    start: date
    end: date
    cumulative: bool
    corrects: int | None = None
    replaces: bool = False


def _series_clashes(agency: Agency, totals: list[Total]) -> dict[int, dict]:
    """Rows that would give the agency a second running total for an area (DESIGN.md, rule 2),
    checked in row order against the stored reports and the rows before."""
    areas = {total.area_id for total in totals if total.cumulative}
    series = defaultdict(list)  # area -> [(start, end, where, report id, stored?)]
    stored = Report.objects.filter(
        agency=agency, area__in=areas, cumulative=True, status__in=COUNTING_STATUSES
    ).values_list("id", "area_id", "period_start", "period_end")
    for report_id, area_id, start, end in stored:
        series[area_id].append((start, end, f"report {report_id}", report_id, True))
    replaced, clashes = set(), {}
    for total in sorted(totals):
        if total.cumulative:
            for start, end, where, report_id, was_stored in series[total.area_id]:
                itself = report_id is not None and report_id == total.corrects
                if itself or (was_stored and report_id in replaced):
                    continue
                if start <= total.end and end >= total.start and start != total.start:
                    message = (
                        f"This agency's cumulative series for this area starts on {start} "
                        f"({where}); a running total keeps one start date."
                    )
                    clashes[total.row] = {"period_start": [message]}
                    break
            else:
                if total.corrects is None or total.replaces:
                    where = f"row {total.row}"
                    series[total.area_id].append(
                        (total.start, total.end, where, total.corrects, False)
                    )
        if total.replaces and total.row not in clashes:
            replaced.add(total.corrects)
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


@dataclass
class Plan:
    new: list[Row]
    marks: dict[int, Marks]
    confirmed: set[int]
    changes: list  # corrections.Change


def _plan(agency: Agency, rows: list[Row], summary: ImportSummary) -> Plan:
    """Check every row: the new reports to insert with their marks, and what the corrections of
    stored ones change."""
    confirmed = {row for row, fields in rows if fields.pop("duplicate", None) == "confirmed"}
    stored = stored_reports(
        agency, [fields["external_id"] for _, fields in rows if fields.get("external_id")]
    )
    today = timezone.localdate()
    first_use: dict[str, int] = {}
    new, corrected = [], []
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
        elif external_id in stored:
            corrected.append((row, fields))
        else:
            new.append((row, fields))
    changes = corrections_plan(corrected, stored, summary)
    clashes = _series_clashes(agency, _totals(new, changes))
    for row, errors in clashes.items():
        summary.refuse(row, errors)
    new = [(row, fields) for row, fields in new if row not in clashes]
    changes = [change for change in changes if change.row not in clashes]
    new, marks = _duplicates(agency, new, confirmed, summary)
    return Plan(new, marks, confirmed, changes)


def _totals(new: list[Row], changes: list) -> list[Total]:
    """The rows the series check reads: new reports, and corrections' new values."""
    totals = [
        Total(row, f["area"].pk, f["period_start"], f["period_end"], bool(f.get("cumulative")))
        for row, f in new
    ]
    for change in changes:
        if change.kind in (EDIT, REVISE):
            s, edit = change.statement, change.kind == EDIT
            totals.append(
                Total(
                    change.row, s.area_id, s.start, s.end, s.cumulative, change.report["id"], edit
                )
            )
    return totals


def _insert(agency, user, plan: Plan, summary, places: list, progress) -> None:
    report_ids: dict[int, int] = {}  # row -> its report's id

    def resolved(ref: int | None) -> int | None:
        row = None if ref is None else upload_row(ref)
        return ref if row is None else report_ids.get(row)

    new, marks = plan.new, plan.marks
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
            summary.created += len(batch)
            places += [
                (f["area"].pk, agency.pk, f["period_start"], f["period_end"]) for f in reports
            ]
        except IntegrityError:
            # A single report took one of these external ids meanwhile: one by one, as corrections.
            for row, _ in batch:
                report_ids.pop(row, None)
            _one_by_one(agency, user, batch, summary, plan.confirmed, report_ids)
        if progress is not None:
            progress("writing", start + len(batch))


def _one_by_one(agency, user, rows: list[Row], summary, confirmed, report_ids) -> None:
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
    progress: Progress | None = None,
) -> ImportSummary:
    """Create, or correct through `external_id`, many reports; nothing is written on a dry run,
    and with `atomic` nothing is written unless every row is valid. A row whose `duplicate` is
    "confirmed" may repeat a statement. `refused` are the errors of rows already found invalid:
    {"row": n, "errors": {field: [messages]}}. `progress` hears how far it got."""
    _agency_lock(agency, progress)
    summary = ImportSummary(dry_run=dry_run, atomic=atomic)
    for error in refused:
        summary.refuse(error["row"], error["errors"])
    plan = _plan(agency, rows, summary)
    if not (atomic and summary.errors):
        if dry_run:
            summary.count("created", len(plan.new))
            summary.count("updated", len(plan.changes))
        else:
            places: list = []
            _insert(agency, user, plan, summary, places, progress)
            now = timezone.now()
            places += corrections_apply(agency=agency, user=user, changes=plan.changes, now=now)
            summary.count("updated", len(plan.changes))
            if places:
                figures_mark(stale=stale_cells(*places))
            if progress is not None:
                progress("writing", len(plan.new) + len(plan.changes))
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
    plan = _plan(agency, [(row, dict(f)) for row, f in rows], summary)
    return plan.marks, [change.row for change in plan.changes]
