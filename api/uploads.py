"""Staff uploading an agency's spreadsheet at the desk: every row checked as the API's bulk
import checks it (api.rows, then tracker.services.bulk), place names matched to p-codes, and
shown as it will be stored before anything is written; then stored by the same service, so a
row stored from the desk is what the API would have stored.

Between the preview and the confirmation nothing is kept on the server: the page carries the
rows read from the file, signed, and the confirmation checks them all again, storing only when
they still give the preview that was shown."""

import hashlib
import json
from dataclasses import dataclass, field

from django.core import signing

from api.rows import AREA_FIELDS, SubmitRowParser
from tracker.models import Agency, Area, Report, User
from tracker.place_names import resolve_all
from tracker.services import ImportSummary, reports_import
from tracker.services.bulk import reports_import_marks
from tracker.services.duplicates import COUNTS, upload_row

SIGNED = "desk-upload"
SIGNED_SECONDS = 6 * 3600  # a preview left open longer is uploaded again


@dataclass
class NameMatch:
    """A place name in an area cell, and the area it stands for."""

    field: str
    given: str
    area: Area | None = None  # matched exactly, or chosen among the candidates
    candidates: list[tuple[Area, float, str]] = field(default_factory=list)  # (area, score, name)
    chosen: bool = False


@dataclass
class UploadRow:
    number: int  # from 1, the first report after the header, as the API counts rows
    cells: dict
    fields: dict  # the checked fields, as the service stores them ({} when refused unread)
    names: list[NameMatch] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    corrects: tuple[int, str] | None = None  # the stored report (id, status) it corrects
    duplicate_of: int | None = None  # a report this one repeats, confirmed
    possible_duplicate_of: str = ""  # "#12" or "row 3"

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def counts(self) -> list[tuple[str, int]]:
        return [(name, self.fields[name]) for name in COUNTS if self.fields.get(name) is not None]

    def outcome(self) -> list:
        """What the preview says of the row, for comparing a preview with a later one."""
        shown = {k: getattr(v, "pcode", v) for k, v in self.fields.items()}
        return [self.number, self.errors, self.corrects, self.duplicate_of,
                self.possible_duplicate_of, {k: str(v) for k, v in shown.items()}]  # fmt: skip


@dataclass
class UploadPreview:
    agency: Agency
    rows: list[UploadRow]
    summary: ImportSummary  # the service's dry run
    fingerprint: str = ""

    @property
    def stored(self) -> list[UploadRow]:
        return [row for row in self.rows if not row.refused]


def _choice_key(number: int, name: str) -> str:
    return f"{number}:{name}"


def _match(number: int, name: str, value, areas: dict, by_pcode: dict, found: dict, choices):
    """(the p-code for the row, or None, and the NameMatch when a name was given)."""
    if not isinstance(value, str) or value.upper() in by_pcode:
        return (by_pcode[value.upper()].pcode if isinstance(value, str) else value), None
    match = NameMatch(name, value)
    match.candidates = [(areas[c.area_id], c.score, c.matched) for c in found[value]]
    exact = [area for area, score, _ in match.candidates if score == 100]
    chosen = choices.get(_choice_key(number, name))
    if chosen and chosen in {area.pcode for area, _, _ in match.candidates}:
        match.area, match.chosen = by_pcode[chosen], True
    elif len(exact) == 1:
        match.area = exact[0]
    return (match.area.pcode if match.area else None), match


def described(area: Area) -> str:
    """An area with what tells it from others of the same name: its level and parent."""
    above = f", in {area.parent.name_en}" if area.parent else ""
    return f"{area.pcode} {area.name_en} (level {area.level}{above})"


def _name_error(match: NameMatch) -> str:
    if not match.candidates:
        return f"No area is called {match.given!r}: write its p-code."
    listed = "; ".join(described(area) for area, _, _ in match.candidates)
    return f"{match.given!r} may mean {listed}. Choose one, or write the p-code."


def choices_of(form_data) -> dict[str, str]:
    """The candidates chosen on a preview page, from fields named choice-<row>-<area field>."""
    chosen = {}
    for key, value in form_data.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "choice" and parts[1].isdigit() and value:
            chosen[_choice_key(int(parts[1]), parts[2])] = str(value)[:20]
    return chosen


def _read(cells_rows: list[dict], choices: dict, areas: dict) -> list[UploadRow]:
    by_pcode = {area.pcode.upper(): area for area in areas.values()}
    names = {
        row[name]
        for row in cells_rows
        for name in AREA_FIELDS
        if isinstance(row.get(name), str) and row[name].upper() not in by_pcode
    }
    found = resolve_all(sorted(names))
    parser = SubmitRowParser(areas={area.pcode: area for area in areas.values()})
    rows = []
    for number, cells in enumerate(cells_rows, start=1):
        data, row = dict(cells), UploadRow(number, cells, {})
        for name in AREA_FIELDS:
            if name in data:
                data[name], match = _match(
                    number, name, data[name], areas, by_pcode, found, choices
                )
                if match is not None:
                    row.names.append(match)
        row.fields, row.errors = parser.parse({k: v for k, v in data.items() if v is not None})
        for match in row.names:
            if match.area is None:
                row.errors[match.field] = [_name_error(match)]
        rows.append(row)
    return rows


def _reference(ref: int | None) -> str:
    if ref is None:
        return ""
    row = upload_row(ref)
    return f"#{ref}" if row is None else f"row {row}"


def upload_preview(
    *, agency: Agency, user: User, cells_rows: list[dict], choices: dict[str, str]
) -> UploadPreview:
    """Each row as it would be stored for `agency`, or why it would not be; writes nothing.
    `choices`: {"<row>:<area or destination>": p-code} for names with several candidates."""
    areas = {area.pk: area for area in Area.objects.all()}  # a country's few hundred
    for area in areas.values():  # their parents from the same query
        area.parent = areas.get(area.parent_id)
    rows = _read(cells_rows, choices, areas)
    valid = [(row.number, row.fields) for row in rows if not row.errors]
    refused = [{"row": row.number, "errors": row.errors} for row in rows if row.errors]
    summary = reports_import(
        agency=agency,
        user=user,
        rows=[(n, dict(f)) for n, f in valid],
        refused=refused,
        dry_run=True,
        atomic=False,
    )
    errors = {error["row"]: error["errors"] for error in summary.errors}
    marks, corrections = reports_import_marks(agency=agency, rows=valid)
    ids = [row.fields["external_id"] for row in rows if row.number in corrections]
    stored = Report.objects.filter(agency=agency, external_id__in=ids)
    corrected = {e: (pk, s) for e, pk, s in stored.values_list("external_id", "pk", "status")}
    for row in rows:
        row.errors = errors.get(row.number, {})
        if row.number in corrections:
            row.corrects = corrected.get(row.fields["external_id"])
        same, possible = marks.get(row.number, (None, None))
        row.duplicate_of, row.possible_duplicate_of = same, _reference(possible)
    preview = UploadPreview(agency, rows, summary)
    outcome = json.dumps([agency.pk, [row.outcome() for row in rows]], sort_keys=True)
    preview.fingerprint = hashlib.sha256(outcome.encode()).hexdigest()
    return preview


def upload_store(*, preview: UploadPreview, user: User) -> ImportSummary:
    """Store the rows of a preview that were not refused, through the bulk import's service."""
    return reports_import(
        agency=preview.agency,
        user=user,
        rows=[(row.number, dict(row.fields)) for row in preview.stored],
        refused=[{"row": row.number, "errors": row.errors} for row in preview.rows if row.refused],
        dry_run=False,
        atomic=False,
    )


def signed(preview: UploadPreview, *, file_name: str, cells_rows: list[dict], choices: dict) -> str:
    """The rows read from a file and what their preview said, for the confirmation, signed: it
    stores them only when they still give the same preview."""
    data = {
        "agency": preview.agency.pk,
        "file": file_name,
        "rows": cells_rows,
        "choices": choices,
        "fingerprint": preview.fingerprint,
    }
    return signing.dumps(data, salt=SIGNED, compress=True)


def unsigned(token: str) -> dict:
    """signed()'s data; signing.BadSignature (or SignatureExpired) when tampered with or old."""
    return signing.loads(token, salt=SIGNED, max_age=SIGNED_SECONDS)
