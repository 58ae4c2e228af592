"""Small-number protection on rows (tracker/disclosure.py): what a reader of the public figures
could subtract gives back no withheld number."""

import datetime
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.disclosure import BREAKDOWNS, DAILY, Protection, protect
from tracker.models.figures import METRICS

DAY = datetime.date(2024, 11, 28)
PROTECTION = Protection(min_count=5, from_level=2)
# A country, two governorates, three districts under the first and one under the second.
TREE = {"SY": None, "SY07": "SY", "SY02": "SY", "SY0700": "SY07", "SY0701": "SY07",
        "SY0702": "SY07", "SY0200": "SY02"}  # fmt: skip


def row(area: str, day=DAY, **counts) -> dict:
    """A figure row: `killed=(value, low, high, cumulative)` or `killed=value` (all four)."""
    cells = {f"{metric}{suffix}": None for metric in METRICS for suffix in (*DAILY, "_cumulative")}
    for metric, count in counts.items():
        value, low, high, cumulative = count if isinstance(count, tuple) else (count,) * 4
        cells |= {metric: value, f"{metric}_low": low, f"{metric}_high": high,
                  f"{metric}_cumulative": cumulative}  # fmt: skip
    return {"area": area, "parent": TREE[area], "level": len(area) // 2 - 1, "date": day, **cells}


def published(rows: list[dict]) -> dict:
    return {(r["area"], r["date"]): r for r in protect(rows, PROTECTION)}


def test_a_small_district_count_and_its_smallest_sibling_are_withheld_with_low_and_high():
    rows = [row("SY", killed=30), row("SY07", killed=30), row("SY0700", killed=(3, 1, 4, 3)),
            row("SY0701", killed=12), row("SY0702", killed=15)]  # fmt: skip
    out = published(rows)
    small, sibling = out["SY0700", DAY], out["SY0701", DAY]
    assert (small["killed"], small["killed_low"], small["killed_high"]) == (None, None, None)
    assert small["withheld"] == ["killed", "killed_cumulative"]
    assert sibling["killed"] is None and "killed" in sibling["withheld"]  # secondary
    assert out["SY0702", DAY]["killed"] == 15 and out["SY07", DAY]["killed"] == 30
    # The subtraction gives the sum of the two withheld, not the small one.
    assert out["SY07", DAY]["killed"] - out["SY0702", DAY]["killed"] == 3 + 12


def test_a_districts_only_reporting_district_takes_its_governorate_with_it():
    rows = [row("SY", killed=20), row("SY07", killed=3), row("SY0700", killed=3),
            row("SY02", killed=17), row("SY0200", killed=17)]  # fmt: skip
    out = published(rows)
    assert out["SY0700", DAY]["killed"] is None and out["SY07", DAY]["killed"] is None
    # The governorate withheld leaves the country's family with one: its other governorate goes.
    assert out["SY02", DAY]["killed"] is None and out["SY", DAY]["killed"] == 20
    assert out["SY0200", DAY]["killed"] is None  # else Aleppo = its district


def test_zero_is_published_and_a_spread_that_is_small_is_not():
    out = published([row("SY0700", killed=0), row("SY0701", displaced=(40, 38, 43, 40))])
    assert out["SY0700", DAY]["killed"] == 0
    assert out["SY0700", DAY]["withheld"] == ["killed_cumulative"]  # protected level: always
    assert out["SY0701", DAY]["displaced"] is None  # a second agency's 3 (high - value)
    out = published([row("SY0701", displaced=(40, 38, 78, 40))])
    assert out["SY0701", DAY]["displaced"] == 40  # low 38, high - value 38: nothing small


def test_a_breakdown_that_leaves_few_adults_is_withheld():
    out = published([row("SY0700", killed=20, killed_children=17)])["SY0700", DAY]
    assert out["killed"] == 20 and out["killed_children"] is None
    assert "killed_children" in out["withheld"]
    out = published([row("SY0700", killed=20, killed_children=8)])["SY0700", DAY]
    assert (out["killed"], out["killed_children"]) == (20, 8)


def test_running_totals_are_withheld_where_a_day_could_be_recovered_from_them():
    days = [DAY + datetime.timedelta(days=n) for n in range(3)]
    rows = []
    for day, district, cumulative in zip(days, (20, 3, 10), (20, 23, 33), strict=True):
        rows += [row("SY", day, killed=(40, 40, 40, 40 + cumulative)),
                 row("SY07", day, killed=(district, district, district, cumulative)),
                 row("SY02", day, killed=(40 - district,) * 3 + (40 + cumulative,)),
                 row("SY0700", day, killed=(district, district, district, cumulative))]  # fmt: skip
    out = published(rows)
    assert [out["SY0700", d]["killed_cumulative"] for d in days] == [None] * 3  # protected
    assert [out["SY07", d]["killed_cumulative"] for d in days] == [20, None, None]
    assert [out["SY07", d]["killed"] for d in days] == [20, None, 10]
    # From the second day on, Idleb's and Aleppo's totals stay withheld together.
    assert [out["SY02", d]["killed_cumulative"] for d in days][1:] == [None, None]
    assert [out["SY", d]["killed_cumulative"] for d in days] == [60, 63, 73]


# --- Whatever the numbers: no family with exactly one withheld cell, nothing small shown ----


counts = st.one_of(st.none(), st.integers(0, 12))


@st.composite
def days_of_rows(draw):
    """Rows as the engine makes them: a parent's value at least its own and its children's sum
    (rule 6), `low <= value <= high`, and high 0 where the value is 0."""
    rows = []
    for offset in range(draw(st.integers(1, 3))):
        day = DAY + datetime.timedelta(days=offset)
        cells = {area: {} for area in TREE}
        for metric in ("killed", "killed_children", "displaced"):
            for area in sorted(TREE, key=len, reverse=True):  # districts first
                own = draw(counts)
                below = [
                    cells[a][metric][0] for a in TREE if TREE[a] == area and metric in cells[a]
                ]
                if own is None and not below:
                    continue
                value = max(own or 0, sum(below))
                low, extra = draw(st.integers(0, value)), draw(st.integers(0, 12 if value else 0))
                cells[area][metric] = (value, low, value + extra, draw(st.integers(0, 40)))
        rows += [row(area, day, **cells[area]) for area in TREE]
    return rows


@settings(max_examples=300, deadline=None)
@given(days_of_rows())
def test_no_withheld_number_is_alone_in_a_family_and_nothing_small_is_shown(rows):
    original = {(r["area"], r["date"]): r for r in rows}
    out = protect(rows, PROTECTION)
    ever = set()
    for r in out:
        before = original[r["area"], r["date"]]
        for metric in METRICS:
            if r["level"] >= 2 and r[metric] is not None:
                shown = [r[metric + s] for s in DAILY]
                assert not any(PROTECTION.small(n) for n in (*shown, shown[2] - shown[0]))
                assert r[metric + "_cumulative"] is None
            if metric in BREAKDOWNS and r["level"] >= 2 and None not in (r[metric], r["killed"]):
                assert not PROTECTION.small(r["killed"] - r[metric])
            if before[metric] is not None and r[metric] is None:
                ever.add((r["area"], metric))
            if (r["area"], metric) in ever:
                assert r[metric + "_cumulative"] is None
    for day in {r["date"] for r in out}:
        shown = {r["area"]: r for r in out if r["date"] == day}
        for metric in METRICS:
            families = defaultdict(list)
            for area, parent in TREE.items():
                if parent and original[area, day][metric] is not None:
                    families[parent].append(area)
            for parent, children in families.items():
                hidden = [a for a in (parent, *children) if shown[a][metric] is None]
                if hidden == [parent]:  # fine where the children add up to 0: not its sum
                    assert all(original[a, day][metric] == 0 for a in children)
                else:
                    assert len(hidden) != 1, (day, metric, parent, hidden)
