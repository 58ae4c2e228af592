"""Small-number protection for the figures published without a token (README, "Public figures").

A count of 1 to `min_count - 1` people killed, injured, displaced or returned in a small area on
one day can point at a family. In public answers such counts are withheld at the protected
levels (`from_level` and deeper), and so is every number that would give one back by
subtraction. What gives one back, and what this module does about it:

1. **The cell's own columns.** `low <= value <= high`, and with two agencies `low` is
   `high - value`. So a day's value, low and high (a *daily cell*) go or stay together: the cell
   is withheld when any of value, low, high or high - value is small.
2. **The breakdowns.** `killed - killed_children` is the adults killed. A children's cell is
   withheld when subtracting it from its published total leaves a small number (the totals are
   decided first).
3. **Parents and children.** Worst case, a parent is the sum of its children (rule 6), so a
   parent and all but one of its children give that one back. Secondary suppression: in every
   family (a published area's row and its children's, among the rows that have the metric) where
   exactly one daily cell is withheld, one more is withheld: the smallest published child above 0
   (ties by p-code), or, if there is none, the parent. Repeated until no family has exactly one
   withheld cell: withholding a parent or a child can leave another family with one. A family is
   a tree of such relations in which every relation has no unknown or at least two, so no
   withheld cell follows from the published ones (each can move, its partners moving with it);
   the attacker learns at most the sum of the withheld ones, which holds a second, larger one.
   This may withhold a cell of a level that is not protected (a governorate whose one reporting
   district had a small count: the governorate's count is that district's).
4. **Running totals.** Today's cumulative minus yesterday's is the day's growth, and the
   cumulative minus the published daily values since any earlier one adds up the withheld ones
   between. No suppression pattern over a series stays safe day after day in a few lines, so:
   at the protected levels the cumulative columns are withheld whole; at the levels above, an
   area's cumulative for a metric is withheld from the first day its daily cell was withheld
   (by any rule), for good. Every family with a withheld daily cell has two (rule 3), so it has
   two withheld cumulatives from then on too: a parent's total minus its other children's gives
   back no single one. The price: such an area's running total stops being public.

Zero is published: "nobody was killed" points at no one. Nothing here looks at the database:
`protect` takes rows and gives rows, the same answer whatever part of them a caller shows, as
long as it is given every public area's rows from the first day on (rule 4 looks back).
"""

from collections import defaultdict, deque
from dataclasses import dataclass
from itertools import groupby

from tracker.models.figures import METRICS

DAILY = ("", "_low", "_high")
BREAKDOWNS = {"killed_children": "killed", "injured_children": "injured"}


@dataclass(frozen=True)
class Protection:
    min_count: int  # counts from 1 to min_count - 1 are small
    from_level: int  # the levels this deep or deeper are protected

    def small(self, count: int | None) -> bool:
        return count is not None and 0 < count < self.min_count


def protect(rows: list[dict], protection: Protection) -> list[dict]:
    """`rows`: figure rows, dicts with `area` and `parent` (p-codes), `level`, `date` and the
    metric columns, of every public area from the first day on. Returns them (copies, by date
    and area) with the withheld cells None and `withheld` naming them: a metric for its value,
    low and high, `<metric>_cumulative` for its cumulative."""
    ever_withheld: set[tuple[str, str]] = set()  # (area, metric): rule 4, for good
    protected = []
    ordered = sorted(rows, key=lambda row: (row["date"], row["area"]))
    for _, day in groupby(ordered, key=lambda row: row["date"]):
        protected += _protect_day(
            [dict(row, withheld=[]) for row in day], protection, ever_withheld
        )
    return protected


def _protect_day(rows: list[dict], protection: Protection, ever_withheld: set) -> list[dict]:
    for metric in METRICS:  # totals before their breakdowns
        withheld = _small_cells(rows, metric, protection)
        if metric in BREAKDOWNS:
            withheld |= _revealing_breakdowns(rows, metric, BREAKDOWNS[metric], protection)
        _complete(rows, metric, withheld)
        cumulative = metric + "_cumulative"
        for row in rows:
            if row["area"] in withheld:
                for suffix in DAILY:
                    row[metric + suffix] = None
                row["withheld"].append(metric)
                ever_withheld.add((row["area"], metric))
            if row[cumulative] is not None and (
                row["level"] >= protection.from_level or (row["area"], metric) in ever_withheld
            ):
                row[cumulative] = None
                row["withheld"].append(cumulative)
    return rows


def _small_cells(rows: list[dict], metric: str, protection: Protection) -> set[str]:
    """Rule 1: protected daily cells with a small value, low, high or high - value."""
    withheld, least = set(), protection.min_count
    low_column, high_column = metric + "_low", metric + "_high"
    for row in rows:  # written out: it runs for every row, metric and day of a year
        value = row[metric]
        if value is None or row["level"] < protection.from_level:
            continue
        low, high = row[low_column], row[high_column]
        if (
            0 < value < least
            or (low is not None and 0 < low < least)
            or (high is not None and (0 < high < least or 0 < high - value < least))
        ):
            withheld.add(row["area"])
    return withheld


def _revealing_breakdowns(rows: list[dict], metric: str, total: str, protection) -> set[str]:
    """Rule 2: protected breakdown cells that their published total minus them gives away."""
    withheld = set()
    for row in rows:
        if row["level"] < protection.from_level or row[metric] is None or row[total] is None:
            continue
        pairs = ((row[total + suffix], row[metric + suffix]) for suffix in DAILY)
        if any(
            protection.small(whole - part) for whole, part in pairs if None not in (whole, part)
        ):
            withheld.add(row["area"])
    return withheld


def _complete(rows: list[dict], metric: str, withheld: set[str]) -> None:
    """Rule 3: adds to `withheld` until no family has exactly one withheld cell."""
    if not withheld:
        return
    value = {row["area"]: row[metric] for row in rows if row[metric] is not None}
    families = defaultdict(list)
    for row in rows:
        if row["area"] in value and row["parent"] in value:
            families[row["parent"]].append(row["area"])
    parent_of = {child: parent for parent, children in families.items() for child in children}
    touched = deque(sorted(_families_of(withheld, families, parent_of)))
    while touched:  # the families a newly withheld cell is in, until none has exactly one
        parent = touched.popleft()
        members = (parent, *families[parent])
        if sum(area in withheld for area in members) != 1:
            continue
        partner = _partner(parent, families[parent], value, withheld)
        if partner is not None:
            withheld.add(partner)
            touched.extend(_families_of({partner}, families, parent_of))


def _families_of(areas: set[str], families: dict, parent_of: dict) -> set[str]:
    """The families (by parent) these areas are in: as a child, and as the parent."""
    return {parent_of[a] for a in areas if a in parent_of} | {a for a in areas if a in families}


def _partner(parent: str, children: list[str], value: dict, withheld: set) -> str | None:
    """The second cell to withhold in a family with one: the smallest published child above 0,
    else the parent (when the withheld one is a child)."""
    published = sorted((value[area], area) for area in children if area not in withheld)
    published = [area for count, area in published if count > 0]
    if published:
        return published[0]
    if parent not in withheld and value[parent] > 0:
        return parent
    return None
