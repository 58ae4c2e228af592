"""The same statement twice, and same-agency reports that may count the same people.

DESIGN.md, API: a report with the same agency, area, period, cumulative flag and counts as one of
that agency's pending or verified reports is refused unless the agency confirms it (then it is
kept with `duplicate_of`); same-agency reports about equal or nested areas on overlapping days are
marked `possible_duplicate_of`, the earliest such report, for verifiers. Two running totals of one
series (cumulative reports about one area) overlap by design and are not marked.

One implementation serves one report and a bulk import alike: the stored reports to compare with
come from one query, and each row of an upload is compared with them and with the rows before it.
"""

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from django.db.models import Q

from tracker.models import Area, Report, ReportStatus
from tracker.models.areas import PATH_SEPARATOR
from tracker.models.reports import CHILD_FIELDS, COUNT_FIELDS

COUNTS = (*COUNT_FIELDS, *CHILD_FIELDS)
COMPARED = (ReportStatus.PENDING, ReportStatus.VERIFIED)
ROWS = 1 << 62  # an upload's row n is known as ROWS + n: after every stored report's id
DAY_BITS = 20  # day ordinals up to LAST_DAY's (about 767,000) fit in 20 bits


class Statement(NamedTuple):
    """What is compared: a report's area (with its stored ancestry), period, flag and counts."""

    area_id: int
    start: date
    end: date
    cumulative: bool
    counts: tuple
    path: str  # follows from area_id: equal statements have equal paths

    @classmethod
    def of_fields(cls, fields: dict) -> "Statement":
        """From a new report's submitted fields, its area given as an Area."""
        area, start = fields["area"], fields["period_start"]
        return cls(
            area.pk,
            start,
            fields.get("period_end") or start,
            bool(fields.get("cumulative")),
            tuple(map(fields.get, COUNTS)),
            area.path,
        )

    @classmethod
    def of_report(cls, report: Report) -> "Statement":
        counts = tuple(getattr(report, name) for name in COUNTS)
        start, end = report.period_start, report.period_end or report.period_start
        return cls(report.area_id, start, end, report.cumulative, counts, report.area.path)


def row_ref(row: int) -> int:
    return ROWS + row


def upload_row(ref: int) -> int | None:
    """The row number a reference names, or None for a stored report's id."""
    return ref - ROWS if ref >= ROWS else None


def _above(path: str) -> list[str]:
    """The stored paths of the areas above the one at `path`, from the top."""
    return [path[: i + 1] for i, char in enumerate(path[:-1]) if char == PATH_SEPARATOR]


class DuplicateIndex:
    """Statements filed in order of reference (stored reports by id, then an upload's rows), so
    the first filed that matches is the earliest report.

    A statement first looks for the earliest statement filed on one of its days in its own
    area, below it, and in each area above it; then it is filed, for each day it covers, under
    its own area (plain and running totals apart, as a running total does not meet the other
    totals of its series) and as "below" each area above it. Keys are ints, a place's number
    and the day (a bulk import files 100,000 rows this way in about a second)."""

    def __init__(self, stored: Iterable[tuple[int, Statement]] = (), *, seconds: bool = False):
        # With `seconds`, each day also keeps the second statement filed there (for later()).
        self._second: dict[int, int] | None = {} if seconds else None
        self._same: dict[tuple, int] = {}
        self._earliest: dict[int, int] = {}  # place number << DAY_BITS | day -> earliest ref
        self._places: dict[tuple, int] = {}
        self._keys: dict[tuple[str, bool], tuple[tuple, tuple]] = {}
        for ref, statement in stored:
            self.file(ref, statement)

    def _place(self, *place) -> int:
        return self._places.setdefault(place, (len(self._places) + 1) << DAY_BITS)

    def _keys_of(self, path: str, cumulative: bool) -> tuple[tuple, tuple]:
        """(where a statement is filed, where it looks), as place numbers."""
        keys = self._keys.get((path, cumulative))
        if keys is None:
            above = _above(path)
            filed = [self._place("at", path), *(self._place("below", p) for p in above)]
            if not cumulative:
                filed.append(self._place("plain", path))
            looked_up = (
                self._place("plain" if cumulative else "at", path),
                self._place("below", path),
                *(self._place("at", prefix) for prefix in above),
            )
            keys = self._keys[path, cumulative] = (tuple(filed), looked_up)
        return keys

    def same(self, s: Statement) -> int | None:
        """The earliest statement equal to `s`."""
        return self._same.get(s)

    def file(self, ref: int, s: Statement) -> int | None:
        """File `s` under `ref`; returns the earliest statement filed before that it may overlap:
        about the same, a larger or a smaller area, on a shared day."""
        self._same.setdefault(s, ref)
        filed, looked_up = self._keys_of(s.path, s.cumulative)
        first, last = s.start.toordinal(), s.end.toordinal() + 1
        earliest = self._earliest
        get = earliest.get
        found = None
        for place in looked_up:
            for key in range(place + first, place + last):
                other = get(key)
                if other is not None and (found is None or other < found):
                    found = other
        second = self._second
        for place in filed:
            for key in range(place + first, place + last):
                if key not in earliest:
                    earliest[key] = ref
                elif second is not None and key not in second:
                    second[key] = ref
        return found

    def later(self, ref: int, s: Statement) -> int | None:
        """Once every statement is filed (with `seconds`): the earliest other than `s`, filed
        under `ref`, that it may overlap, for a statement that found none filed before it.
        Overlapping is mutual, so each such other is filed where `s` looks, after `s`: first
        there, or second after `s` itself."""
        _, looked_up = self._keys_of(s.path, s.cumulative)
        first, last = s.start.toordinal(), s.end.toordinal() + 1
        earliest, second = self._earliest, self._second
        found = None
        for place in looked_up:
            for key in range(place + first, place + last):
                other = earliest.get(key)
                if other == ref:
                    other = second.get(key)
                if other is not None and (found is None or other < found):
                    found = other
        return found


def stored_statements(
    agency_id: int, *, since: date, until: date, near: Area | None = None, other_than=None
) -> list[tuple[int, Statement]]:
    """The agency's pending and verified reports on days from `since` to `until`, by id: those
    about `near`, above it or below it when given. One query."""
    reports = Report.objects.filter(
        agency_id=agency_id, status__in=COMPARED, period_start__lte=until, period_end__gte=since
    )
    if near is not None:
        reports = reports.filter(
            Q(area__path__startswith=near.path) | Q(area__path__in=_above(near.path))
        )
    if other_than is not None:
        reports = reports.exclude(pk=other_than)
    columns = ("id", "area__path", "area_id", "period_start", "period_end", "cumulative", *COUNTS)
    return [
        (ref, Statement(area_id, start, end, cumulative, tuple(counts), path))
        for ref, path, area_id, start, end, cumulative, *counts in reports.order_by("id")
        .values_list(*columns)
        .iterator(chunk_size=10_000)
    ]


def duplicates_of(report: Report) -> tuple[int | None, int | None]:
    """(the agency's earliest other report with the same statement, its earliest other report
    that may count the same people), among its pending and verified reports."""
    statement = Statement.of_report(report)
    index = DuplicateIndex(
        stored_statements(
            report.agency_id,
            since=statement.start,
            until=statement.end,
            near=report.area,
            other_than=report.pk,
        )
    )
    return index.same(statement), index.file(ROWS, statement)


def earliest_others(statements: list[tuple[int, Statement]], asked: set[int]) -> dict[int, int]:
    """For each reference in `asked`, the earliest other of `statements` that it may overlap
    (as DuplicateIndex.file: about the same, a larger or a smaller area on a shared day), when
    there is one: one filed before it or, failing that, the first after it."""
    index = DuplicateIndex(seconds=True)
    found, none_before = {}, []
    for ref, statement in sorted(statements):
        earlier = index.file(ref, statement)
        if ref not in asked:
            continue
        if earlier is None:
            none_before.append((ref, statement))
        else:
            found[ref] = earlier
    for ref, statement in none_before:
        after = index.later(ref, statement)
        if after is not None:
            found[ref] = after
    return found
