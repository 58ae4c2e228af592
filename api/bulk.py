"""Reading a bulk upload (JSON list, CSV body or CSV file) a row at a time, and checking its rows
into report fields.

The web process reads an upload whole once, a row at a time, to check its syntax and count its
rows: a 64 MB body never becomes a list of dicts there. Small uploads are then checked and
imported at once; larger ones are stored for a worker, which reads them again the same way.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError

from api.parsers import csv_rows, json_rows
from api.rows import SubmitRowParser
from tracker.models import Area, ImportFormat

MAX_ROWS = 200_000
PROGRESS_EVERY = 5000  # rows checked between two reports of progress
EMPTY = "The upload is empty: send a JSON list, a CSV body or a CSV file."


@dataclass(frozen=True)
class Upload:
    format: str  # an ImportFormat
    data: bytes  # as sent: the JSON or CSV text (a form's CSV file: the file)

    def rows(self) -> Iterator:
        """Its rows in order: for JSON, the list's elements; for CSV, a dict of a line's
        non-empty cells by the header's names."""
        return json_rows(self.data) if self.format == ImportFormat.JSON else csv_rows(self.data)


def upload_of(request) -> Upload:
    """The upload of a request, whatever form it came in (415 for another content type)."""
    if not request.body:
        raise ParseError(EMPTY)
    content_type = request.content_type
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach the CSV as the form field 'file'."]})
        return Upload(ImportFormat.CSV, upload.read())
    if media_type == "text/csv":
        return Upload(ImportFormat.CSV, request.body)
    if media_type == "application/json":
        return Upload(ImportFormat.JSON, request.body)
    raise UnsupportedMediaType(content_type)


def first_rows(upload: Upload, keep: int) -> tuple[list, int]:
    """The first `keep` rows of the upload and how many rows it has. Reads it whole: a malformed
    upload, or one of more than MAX_ROWS rows, is refused (400) before anything is stored."""
    kept, count = [], 0
    for row in upload.rows():
        count += 1
        if count > MAX_ROWS:
            raise ValidationError({"rows": [f"At most {MAX_ROWS} reports in one upload."]})
        if count <= keep:
            kept.append(row)
    return kept, count


def checked_rows(
    rows: Iterable, *, progress: Callable[[str, int], None] | None = None
) -> tuple[list[tuple[int, dict]], list[dict]]:
    """Each row checked as a report: (number, fields) of the valid rows, {"row": number,
    "errors": {...}} of the others; rows count from 1."""
    parser = SubmitRowParser(areas={area.pcode: area for area in Area.objects.all()})
    checked, refused = [], []
    for number, data in enumerate(rows, start=1):
        fields, errors = parser.parse(data)
        if errors:
            refused.append({"row": number, "errors": errors})
        else:
            checked.append((number, fields))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress("checking", number)
    return checked, refused
