import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from typing import NoReturn

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


JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A body whose top level is not a list is refused; up to this size it is parsed first, so that
# its answer names what else is wrong with it (nested too deep, malformed), as for one report.
PARSED_WHOLE_BYTES = 1024 * 1024
NOT_A_LIST = "Send a JSON list of reports, a CSV body (text/csv) or a CSV file."


def _refuse_constant(name: str):
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


def _parse_error(error: ValueError) -> ParseError:
    return ParseError(f"JSON parse error - {error}")


def json_rows(raw: bytes) -> Iterator:
    """The elements of a JSON list, one at a time, as Python's decoder reads them (numbers as
    DRF's parser gives them): a 64 MB upload never becomes a list of 200,000 dicts. Each is
    checked for depth; the list's syntax is checked as far as it is read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(f"JSON parse error - not UTF-8 (byte {error.start})") from None
    decoder = json.JSONDecoder(parse_constant=_refuse_constant)
    skip = JSON_WHITESPACE.match
    at = skip(text).end()
    if text[at : at + 1] != "[":
        _refuse_whole(decoder, text)
    at = skip(text, at + 1).end()
    if text[at : at + 1] == "]":
        at += 1
    else:
        while True:
            try:
                row, at = decoder.raw_decode(text, at)
            except RecursionError:
                raise ParseError(TOO_DEEP) from None
            except ValueError as error:
                raise _parse_error(error) from None
            if not nested_within(row, MAX_JSON_DEPTH - 1):  # the list is the first level
                raise ParseError(TOO_DEEP)
            yield row
            at = skip(text, at).end()
            if text[at : at + 1] == ",":
                at = skip(text, at + 1).end()
            elif text[at : at + 1] == "]":
                at += 1
                break
            else:
                raise _parse_error(json.JSONDecodeError("Expecting ',' delimiter", text, at))
    at = skip(text, at).end()
    if at != len(text):
        raise _parse_error(json.JSONDecodeError("Extra data", text, at))


def _refuse_whole(decoder: json.JSONDecoder, text: str) -> NoReturn:
    """Refuse a body that is not a list, naming what else is wrong with a small one."""
    if len(text) <= PARSED_WHOLE_BYTES:
        try:
            data = decoder.decode(text)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as error:
            raise _parse_error(error) from None
        if not nested_within(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
    raise ParseError(NOT_A_LIST)


def _csv_lines(raw: bytes) -> Iterator[str]:
    """The lines of a UTF-8 CSV, decoded one at a time (a UTF-8 sequence never holds a newline
    byte), refusing NUL bytes and naming the first byte that is not UTF-8."""
    if b"\x00" in raw:
        raise ParseError("The CSV contains a NUL byte.")
    offset = 3 if raw.startswith(codecs.BOM_UTF8) else 0
    stream = io.BytesIO(raw)
    stream.seek(offset)
    for line in stream:
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(f"The CSV is not UTF-8 (byte {offset + error.start}).") from None
        offset += len(line)


def decode(raw: bytes) -> str:
    """A whole UTF-8 CSV as text (a staff upload, small): one in another encoding (UTF-16 has
    NUL bytes) is named as not UTF-8 first."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(f"The CSV is not UTF-8 (byte {error.start}).") from None
    if "\x00" in text:
        raise ParseError("The CSV contains a NUL byte.")
    return text


def csv_rows(raw: bytes) -> Iterator[dict]:
    """Rows of a CSV with a header line, one at a time; empty cells are left out (not
    reported)."""
    reader = csv.reader(_csv_lines(raw))
    try:
        header = next(reader, None)
        if not header:
            raise ParseError("The CSV is empty: it needs a header line.")
        width = len(header)
        for cells in reader:
            if not cells:
                continue
            if len(cells) > width:
                raise ParseError(f"CSV line {reader.line_num} has more cells than the header.")
            yield {key: value for key, value in zip(header, cells, strict=False) if value != ""}
    except csv.Error as error:
        raise ParseError(f"CSV line {reader.line_num}: {error}") from None


class CSVParser(BaseParser):
    """`Content-Type: text/csv`: a header line with the JSON field names, then one row a report."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return list(csv_rows(stream.read()))
