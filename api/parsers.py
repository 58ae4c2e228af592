import csv
import io

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

# Reports are flat: a bulk upload is a list of objects of values. Deeper JSON is refused before
# anything walks it (Python's decoder, repr() and DRF's fields recurse: a few hundred levels
# was a RecursionError, a 500).
MAX_JSON_DEPTH = 32
TOO_DEEP = f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep; reports are flat objects."


def nested_within(data, depth: int) -> bool:
    """Whether no list or object in parsed JSON `data` lies more than `depth` levels deep.
    Layer by layer, without recursing; a container of plain values costs one set of types."""
    containers = (list, dict)
    layer = [data] if type(data) in containers else []
    for _ in range(depth):
        below = []
        for value in layer:
            items = value.values() if type(value) is dict else value
            if not set(map(type, items)).isdisjoint(containers):
                below.extend(item for item in items if type(item) in containers)
        if not below:
            return True
        layer = below
    return False


class JSONParser(parsers.JSONParser):
    """DRF's, refusing JSON nested deeper than MAX_JSON_DEPTH (400, naming the problem)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if not nested_within(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


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
