"""A deliberately simple implementation of DESIGN.md's rules, to check the engine against.

Plain Python over plain records, one rule after another, as the text says them. Slow and obvious
on purpose: it must stay this simple.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

METRICS = ("displaced", "returned", "killed", "injured", "killed_children", "injured_children")


@dataclass(frozen=True)
class R:
    """A report as the rules see it."""

    id: int
    agency: str
    area: str
    start: date
    end: date
    status: str
    cumulative: bool
    created: datetime
    counts: dict  # metric -> int or None


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def spread(count: int, start: date, end: date) -> dict[date, int]:
    """Rule 3: days 1..k together get ceil(count*k/n)."""
    span = days(start, end)
    n = len(span)
    return {
        day: ceil_div(count * k, n) - ceil_div(count * (k - 1), n) for k, day in enumerate(span, 1)
    }


def flows(reports: list[R], metric: str) -> list[tuple[str, str, int, date, date]]:
    """Rules 2 and 3's inputs: (agency, area, count, start, end) for one metric."""
    out = []
    series = defaultdict(list)
    for r in reports:
        if r.counts[metric] is None:
            continue
        if r.cumulative:
            series[(r.agency, r.area, r.start)].append(r)
        else:
            out.append((r.agency, r.area, r.counts[metric], r.start, r.end))
    for (agency, area, start), members in series.items():
        standing = {}
        for r in sorted(members, key=lambda r: (r.created, r.id)):
            standing[r.end] = r.counts[metric]  # of two totals as of one day, the last created
        asof = sorted(standing)
        totals = [standing[day] for day in asof]
        lowered = [min(totals[i:]) for i in range(len(totals))]
        previous_total, previous_day = 0, None
        for day, total in zip(asof, lowered, strict=True):
            first = start if previous_day is None else previous_day + timedelta(days=1)
            out.append((agency, area, total - previous_total, first, day))
            previous_total, previous_day = total, day
    return out


def reference_figures(reports: list[R], parents: dict[str, str | None]) -> dict:
    """{(area, day): row} with the same keys as the API's daily figure rows."""
    children = defaultdict(list)
    for area, parent in parents.items():
        if parent is not None:
            children[parent].append(area)

    def below(area):  # the area and everything under it
        found = [area]
        for child in children[area]:
            found += below(child)
        return found

    verified = [r for r in reports if r.status == "verified"]
    pending = [r for r in reports if r.status == "pending"]

    # Rule 1: a row where a verified report covers the day in the area or below.
    rows = {}
    for area in parents:
        subtree = set(below(area))
        for r in verified:
            if r.area in subtree:
                for day in days(r.start, r.end):
                    rows.setdefault((area, day), {})
    for (area, day), row in rows.items():
        subtree = set(below(area))
        covering = [r for r in verified if r.area in subtree and r.start <= day <= r.end]
        row["report_count"] = len(covering)
        row["agency_count"] = len({r.agency for r in covering})
        row["pending_reports"] = sum(
            1 for r in pending if r.area in subtree and r.start <= day <= r.end
        )

    for metric in METRICS:
        # Rules 2-4: each agency's total per area and day, from its own reports there.
        items = flows(verified, metric)
        totals = defaultdict(lambda: defaultdict(int))  # (area, day) -> agency -> total
        for agency, area, count, start, end in items:
            for day, share in spread(count, start, end).items():
                totals[(area, day)][agency] += share
        for (area, day), row in rows.items():
            found = combined(totals, children, area, day)
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = found or (None, None, None)
            row[f"{metric}_cumulative"] = cumulative(items, totals, children, below, area, day)
    return rows


def own(totals, area, day):
    """Rule 5: the largest, smallest and summed agency totals of an area's own reports."""
    agencies = totals.get((area, day))
    if not agencies:
        return None
    values = agencies.values()
    return max(values), min(values), sum(values)


def combined(totals, children, area, day):
    """Rule 6: the larger of the area's own figures and the sum of its children's."""
    mine = own(totals, area, day)
    parts = [c for c in (combined(totals, children, child, day) for child in children[area]) if c]
    if mine is None and not parts:
        return None
    sums = [sum(p[i] for p in parts) for i in range(3)] if parts else None
    if mine is None:
        return tuple(sums)
    if sums is None:
        return mine
    return max(mine[0], sums[0]), max(mine[1], sums[1]), mine[2] + sums[2]


def stretches(items, subtree):
    """Rule 7: the flows about the subtree that share a day, chained, as (first, last) days."""
    periods = sorted((start, end) for _, area, _, start, end in items if area in subtree)
    found = []
    for start, end in periods:
        if found and start <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return found


def cumulative(items, totals, children, below, area, day):
    """Rule 7: separate stretches add up; each counts its largest account up to `day`: one
    agency's own reports about the area, or the growth of the children's cumulatives."""
    counted = None
    for first, last in stretches(items, set(below(area))):
        if first > day:
            break
        upto = min(day, last)
        accounts = defaultdict(int)  # agency -> its own reports here, added up
        for (a, d), agencies in totals.items():
            if a == area and first <= d <= upto:
                for agency, share in agencies.items():
                    accounts[agency] += share
        growth = 0
        for child in children[area]:
            now = cumulative(items, totals, children, below, child, upto) or 0
            then = cumulative(items, totals, children, below, child, first - timedelta(days=1))
            growth += now - (then or 0)
        counted = (counted or 0) + max([growth, *accounts.values()])
    return counted
