"""Reading an agency's spreadsheet (CSV or XLSX) into rows of report fields, as a bulk upload's
rows: a header line of field names, then a report a line, empty cells "not reported"."""

import csv
import datetime
import io
import zipfile

from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from rest_framework.exceptions import ParseError

from api.parsers import decode
from api.serializers import ReportSubmitSerializer

MAX_BYTES = 5 * 1024 * 1024  # a desk upload's file; larger ones go through the API's bulk import
MAX_ROWS = 5_000
FIELDS = tuple(ReportSubmitSerializer().fields)
MAX_COLUMNS = 2 * len(FIELDS)  # past this many, a sheet is not a list of reports


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def column_name(header) -> str:
    """A header cell as a field name: "Period start" and "period_start" are the same column."""
    return "_".join(str(header or "").strip().lower().replace("-", " ").split())


def _cell(value):
    """A spreadsheet's value as the API reads JSON: dates as ISO text, whole numbers as ints."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _xlsx_rows(upload) -> tuple[list[str], list[list]]:
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ValidationError(f"This is not a readable XLSX workbook ({error}).") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = list(next(lines, ()))[: MAX_COLUMNS + 1]
        rows = []
        for line in lines:
            if any(value not in (None, "") for value in line[: len(header)]):
                rows.append(list(line[: len(header)]))
            if len(rows) > MAX_ROWS:
                break
        return [column_name(h) for h in header], rows
    finally:
        book.close()


def _csv_rows(upload) -> tuple[list[str], list[list]]:
    try:
        text = decode(upload.read())
    except ParseError as error:
        raise ValidationError(str(error.detail)) from None
    if "\x00" in text:
        raise ValidationError("The CSV contains a NUL byte.")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])[: MAX_COLUMNS + 1]
        rows = []
        for line in reader:
            if len(line) > len(header):
                raise ValidationError(f"CSV line {reader.line_num} has more cells than the header.")
            if any(cell.strip() for cell in line):
                rows.append(line)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as error:
        raise ValidationError(f"CSV line {reader.line_num}: {error}") from None
    return [column_name(h) for h in header], rows


def read_spreadsheet(upload) -> list[dict]:
    """The rows of an uploaded CSV or XLSX file (its first sheet), each {field: value} with
    empty cells left out; ValidationError naming what is wrong with the file."""
    name = upload.name.lower()
    if upload.size > MAX_BYTES:
        raise ValidationError(
            f"The file is {_megabytes(upload.size)}; a desk upload is at most "
            f"{_megabytes(MAX_BYTES)}. Split it, or send it through the API's bulk import."
        )
    if name.endswith(".xlsx"):
        header, lines = _xlsx_rows(upload)
    elif name.endswith(".csv"):
        header, lines = _csv_rows(upload)
    else:
        raise ValidationError("Upload a .csv or an .xlsx file (save older .xls files as .xlsx).")
    if len(header) > MAX_COLUMNS:
        raise ValidationError(f"The sheet has more than {MAX_COLUMNS} columns; reports have fewer.")
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise ValidationError("Columns named twice: " + ", ".join(twice) + ".")
    unknown = [h for h in header if h and h not in FIELDS]
    if unknown or "area" not in header:
        raise ValidationError(
            ("Unknown columns: " + ", ".join(unknown) + ". " if unknown else "No area column. ")
            + "The header line names the API's fields: "
            + ", ".join(FIELDS)
            + " (area may be a p-code or a place name)."
        )
    rows = []
    for line in lines:
        row = {h: _cell(v) for h, v in zip(header, line, strict=False) if h}
        row = {h: v for h, v in row.items() if v not in (None, "")}
        if row:
            rows.append(row)
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"More than {MAX_ROWS:,} reports in one file: split it.")
    if not rows:
        raise ValidationError("The file has a header line but no reports.")
    return rows
