import csv
import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


def read_csv(text: str) -> list[dict]:
    """Rows of a CSV with a header line; empty cells are left out (not reported)."""
    if "\x00" in text:
        raise ParseError("The CSV contains a NUL byte.")
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = []
        for row in reader:
            if None in row:
                raise ParseError(f"CSV line {reader.line_num} has more cells than the header.")
            rows.append({key: value for key, value in row.items() if value not in ("", None)})
    except csv.Error as error:
        raise ParseError(f"CSV line {reader.line_num}: {error}") from None
    if not reader.fieldnames:
        raise ParseError("The CSV is empty: it needs a header line.")
    return rows


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(f"The CSV is not UTF-8 (byte {error.start}).") from None


class CSVParser(BaseParser):
    """`Content-Type: text/csv`: a header line with the JSON field names, then one row a report."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return read_csv(decode(stream.read()))
