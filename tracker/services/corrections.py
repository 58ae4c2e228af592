"""Corrections in a bulk import, set-based: a row naming one of the agency's external_ids
restates that report, as report_submit does for one (tracker/services/reports.py).

A pending report is corrected in place; a verified one gets a pending revision, superseding the
pending one (restating the verified values supersedes it without a new one); a rejected or
withdrawn one cannot change; a row saying what is already there changes nothing. Here the
stored reports are read and locked a batch at a time, and the changes of the whole upload are
written by a few statements over staged rows, history rows included: one by one, a correction
cost 40 times a new row.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL

from tracker.models import Agency, Report, ReportRevision, ReportStatus, RevisionStatus, User
from tracker.services.duplicates import Statement, earliest_others, stored_statements
from tracker.services.fast_insert import history_of_changes, ids_reserve, staged, table_insert
from tracker.services.reports import Place, restated, uncorrectable
from tracker.services.revisions import REVISED_FIELDS

LOOKUP_BATCH = 5000
REVISED = [Report._meta.get_field(name).attname for name in REVISED_FIELDS]
EDITED = ["id", *REVISED, "possible_duplicate_of_id"]
EDIT, REVISE, RESTORE = "edit", "revise", "restore"


@dataclass
class Change:
    """What one row changes: a pending report in place (EDIT), a verified one by a new pending
    revision (REVISE), or a verified one's pending revision superseded (RESTORE)."""

    row: int
    kind: str
    report: dict  # the stored report: id, external_id, status and REVISED values
    values: dict  # the restated values, by attname
    statement: Statement
    pending: dict | None = None  # the report's pending revision, if any


def _by_attname(values: dict) -> dict:
    """Restated fields by attname (areas as ids), as the stored values are read."""
    return {
        attname: getattr(values[name], "pk", values[name])
        for name, attname in zip(REVISED_FIELDS, REVISED, strict=True)
    }


def stored_reports(agency: Agency, external_ids: list[str]) -> dict[str, dict]:
    """The agency's reports with these external_ids, locked for the transaction, by external_id;
    verified ones carry their pending revision (locked too) as `pending`."""
    if not external_ids:
        return {}
    columns = ("id", "external_id", "status", *REVISED)
    wanted = [{"external_id": external_id} for external_id in external_ids]
    with staged("import_external_id", "(external_id text)", ["external_id"], wanted):
        named = RawSQL("SELECT external_id FROM import_external_id", [])
        reports = Report.objects.select_for_update().filter(agency=agency, external_id__in=named)
        found = {report["external_id"]: report for report in reports.values(*columns)}
    verified = {r["id"]: r for r in found.values() if r["status"] == ReportStatus.VERIFIED}
    ids = sorted(verified)
    for start in range(0, len(ids), LOOKUP_BATCH):
        pending = ReportRevision.objects.select_for_update().filter(
            report_id__in=ids[start : start + LOOKUP_BATCH], status=RevisionStatus.PENDING
        )
        for revision in pending.values("id", "report_id", "number", *REVISED):
            verified[revision["report_id"]]["pending"] = revision
    return found


def corrections_plan(rows: Iterable[tuple[int, dict]], stored: dict[str, dict], summary) -> list:
    """What each correcting row changes; rows that change nothing are counted `unchanged`, and
    those correcting a rejected or withdrawn report are refused."""
    changes = []
    for row, fields in rows:
        report = stored[fields["external_id"]]
        full = restated(fields)
        values = _by_attname(full)
        pending = report.get("pending")
        statement = Statement.of_fields(full)
        if report["status"] == ReportStatus.VERIFIED:
            if pending is not None and _says(pending, values):
                summary.count("unchanged")
            elif not _says(report, values):
                changes.append(Change(row, REVISE, report, values, statement, pending))
            elif pending is None:
                summary.count("unchanged")
            else:
                changes.append(Change(row, RESTORE, report, values, statement, pending))
        elif _says(report, values):
            summary.count("unchanged")
        elif report["status"] == ReportStatus.PENDING:
            changes.append(Change(row, EDIT, report, values, statement))
        else:
            summary.refuse(row, {"external_id": [uncorrectable(report["id"], report["status"])]})
    return changes


def _says(stored: dict, values: dict) -> bool:
    return all(stored[name] == value for name, value in values.items())


def _place(agency_id: int, values: dict) -> Place:
    return values["area_id"], agency_id, values["period_start"], values["period_end"]


def corrections_apply(*, agency: Agency, user: User, changes: list, now: datetime) -> list[Place]:
    """Write the changes, with their history; returns the places whose figures they make stale.
    Call inside the import's transaction, after its new reports are inserted."""
    places, reasons = [], []
    edits = [change for change in changes if change.kind == EDIT]
    _edit(agency, edits, now)
    for change in edits:
        places += [_place(agency.pk, change.report), _place(agency.pk, change.values)]
        reasons.append((change.report["id"], "corrected"))
    revised = [change for change in changes if change.kind != EDIT]
    for change, reason, place in _revise(agency, user, revised, now):
        places += [_place(agency.pk, change.report), *place]
        reasons.append((change.report["id"], reason))
    if revised:
        with connection.cursor() as cursor:  # a new revision is a new version: a new ETag
            ids = [change.report["id"] for change in revised]
            for start in range(0, len(ids), LOOKUP_BATCH):
                batch = ids[start : start + LOOKUP_BATCH]
                cursor.execute(
                    f"UPDATE {Report._meta.db_table} SET updated_at = %s "
                    f"WHERE id IN ({', '.join(['%s'] * len(batch))})",
                    [now, *batch],
                )
    history_of_changes(Report, reasons, user=user, now=now)
    return places


def _edit(agency: Agency, edits: list[Change], now: datetime) -> None:
    """Pending reports corrected in place, each marked against the agency's reports as they
    stand after the upload (duplicates_of's rule for one edited report)."""
    if not edits:
        return
    ids = {change.report["id"] for change in edits}
    statements = [
        (ref, statement)
        for ref, statement in stored_statements(
            agency.pk,
            since=min(change.statement.start for change in edits),
            until=max(change.statement.end for change in edits),
        )
        if ref not in ids
    ]
    statements += [(change.report["id"], change.statement) for change in edits]
    marks = earliest_others(statements, ids)
    rows = [
        {"id": change.report["id"], **change.values,
         "possible_duplicate_of_id": marks.get(change.report["id"])}
        for change in edits
    ]  # fmt: skip
    assignments = ", ".join(f"{column} = edit.{column}" for column in EDITED[1:])
    definition = f"AS SELECT {', '.join(EDITED)} FROM {Report._meta.db_table} WHERE 1 = 0"
    with staged("import_edit", definition, EDITED, rows), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Report._meta.db_table} AS target SET {assignments}, updated_at = %s "
            "FROM import_edit AS edit WHERE target.id = edit.id",
            [now],
        )


def _revise(agency: Agency, user: User, changes: list[Change], now: datetime):
    """Supersede the pending revisions these changes replace, then add the new revisions;
    yields each change with the report's history reason and the revision places it touches."""
    if not changes:
        return
    numbers = _last_numbers([c.report["id"] for c in changes if c.kind == REVISE])
    superseded, added, history = [], [], []
    for change in changes:
        pending, places = change.pending, []
        if change.kind == RESTORE:
            superseded.append((pending["id"], "the verified values restated"))
            reason = f"revision {pending['number']} superseded: the verified values restated"
            places.append(_place(agency.pk, pending))
        else:
            number = numbers.get(change.report["id"], 0) + 1
            if pending is not None:
                superseded.append((pending["id"], f"superseded by revision {number}"))
                places.append(_place(agency.pk, pending))
            added.append((change, number))
            reason = f"revision {number} submitted"
            places.append(_place(agency.pk, change.values))
        history.append((change, reason, places))
    _supersede(user, superseded, now)
    _add_revisions(user, added, now)
    yield from history


def _last_numbers(report_ids: list[int]) -> dict[int, int]:
    numbers = {}
    for start in range(0, len(report_ids), LOOKUP_BATCH):
        revisions = ReportRevision.objects.filter(
            report_id__in=report_ids[start : start + LOOKUP_BATCH]
        )
        last = revisions.values("report_id").annotate(last=Max("number"))
        numbers.update(last.values_list("report_id", "last"))
    return numbers


def _supersede(user: User, superseded: list[tuple[int, str]], now: datetime) -> None:
    """As revision_decide, for many pending revisions: superseded, by whom, when and why."""
    if not superseded:
        return
    rows = [{"id": id_, "reason": reason} for id_, reason in superseded]
    table = ReportRevision._meta.db_table
    with (
        staged("import_superseded", "(id bigint, reason text)", ["id", "reason"], rows),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"UPDATE {table} AS target SET status = %s, reason = superseded.reason, "
            "decided_by_id = %s, decided_at = %s "
            "FROM import_superseded AS superseded WHERE target.id = superseded.id",
            [RevisionStatus.SUPERSEDED, user.pk, now],
        )
    reasons = [(id_, f"{RevisionStatus.SUPERSEDED}: {reason}") for id_, reason in superseded]
    history_of_changes(ReportRevision, reasons, user=user, now=now)


def _add_revisions(user: User, added: list[tuple[Change, int]], now: datetime) -> None:
    """As revision_add, for many reports: their new pending revisions, with history."""
    if not added:
        return
    ids = ids_reserve(ReportRevision, len(added))
    own = {"submitted_by_id": user.pk, "created_at": now, "status": RevisionStatus.PENDING,
           "decided_by_id": None, "decided_at": None, "reason": ""}  # fmt: skip
    rows = [
        {**own, **change.values, "id": id_, "report_id": change.report["id"], "number": number}
        for id_, (change, number) in zip(ids, added, strict=True)
    ]
    columns = [field.column for field in ReportRevision._meta.concrete_fields]
    table_insert(ReportRevision._meta.db_table, columns, rows)
    history_of_changes(ReportRevision, [(id_, "submitted") for id_ in ids], user=user, now=now,
                       kind="+")  # fmt: skip
