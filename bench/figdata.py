"""Reports for the engine benchmarks: 5 agencies, every area, the 365 days up to yesterday.

Bench data setup, not a way to add reports: dicts go in with the COPY insert
(tracker.services.fast_insert), statuses included. Mostly verified one-day reports, a quarter over
2-5 days, and a few cumulative series (one per agency and area, one start date, totals growing
with noise, so a later total is sometimes lower). One sub-district gets a report every day, so
its series has 365 rows whatever the size.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from tracker.models import Area, Role, User
from tracker.services import user_issue_token
from tracker.services.fast_insert import reports_insert

AGENCIES = 5
DAYS = 365
CHUNK = 50_000  # reports per COPY
CUMULATIVE_SHARE = 0.03
SERIES_PER_AGENCY = 40  # areas with a cumulative series
SERIES_DAYS = 90  # a series' as-of days fall within this many days of its start
STATUSES = ("verified",) * 92 + ("pending",) * 5 + ("rejected",) * 3


def last_day() -> date:
    return timezone.localdate() - timedelta(days=1)


@dataclass
class Plan:
    """Who reports where; the same plan continues one seeded stream of reports."""

    reporters: list[User]
    verifier: User
    areas: list[Area]
    daily_area: Area  # the sub-district with a report every day
    series: list[tuple[int, Area, date]]  # (agency index, area, start) of cumulative series
    pick: random.Random
    first: date
    made: int = 0

    @property
    def last(self) -> date:
        return self.first + timedelta(days=DAYS - 1)


def plan(seed: int = 4) -> Plan:
    reporters = []
    for i in range(AGENCIES):
        username = f"bench-fig{i + 1}"
        user_issue_token(username=username, agency_code=f"BENCHFIG{i + 1}", role=Role.REPORTER)
        reporters.append(User.objects.select_related("agency").get(username=username))
    verifier = User.objects.get(username="bench-verifier")
    areas = list(Area.objects.order_by("pcode"))
    pick = random.Random(seed)
    first = last_day() - timedelta(days=DAYS - 1)
    series = [
        (agency, area, first + timedelta(days=pick.randrange(DAYS)))
        for agency in range(AGENCIES)
        for area in pick.sample(areas, SERIES_PER_AGENCY)
    ]
    daily = next(area for area in areas if area.level == 3)
    return Plan(reporters, verifier, areas, daily, series, pick, first)


def _counts(pick: random.Random) -> dict:
    counts = {
        "displaced": pick.randrange(2000) if pick.random() < 0.6 else None,
        "returned": pick.randrange(500) if pick.random() < 0.2 else None,
        "killed": pick.randrange(20) if pick.random() < 0.4 else None,
        "injured": pick.randrange(60) if pick.random() < 0.4 else None,
    }
    if all(value is None for value in counts.values()):
        counts["killed"] = pick.randrange(20)
    for child, total in (("killed_children", "killed"), ("injured_children", "injured")):
        counts[child] = (
            pick.randint(0, counts[total]) if counts[total] and pick.random() < 0.5 else None
        )
    return counts


def _cumulative(p: Plan) -> tuple[int, dict]:
    agency, area, start = p.pick.choice(p.series)
    days = min(SERIES_DAYS, (p.last - start).days + 1)
    as_of = start + timedelta(days=p.pick.randrange(days))
    grown = (as_of - start).days + 1
    total = grown * 40 + p.pick.randrange(100)  # growing, a later total now and then lower
    fields = {"area": area, "period_start": start, "period_end": as_of, "cumulative": True}
    return agency, {**fields, "displaced": total, "killed": grown + p.pick.randrange(5)}


def _plain(p: Plan) -> tuple[int, dict]:
    start = p.first + timedelta(days=p.pick.randrange(DAYS))
    length = 1 if p.pick.random() < 0.75 else p.pick.randint(2, 5)
    end = min(start + timedelta(days=length - 1), p.last)
    fields = {"area": p.pick.choice(p.areas), "period_start": start, "period_end": end}
    return p.pick.randrange(AGENCIES), {**fields, **_counts(p.pick)}


def _report(p: Plan, now) -> tuple[int, dict]:
    if p.made < DAYS:  # the daily sub-district first
        day = p.first + timedelta(days=p.made)
        fields = {"area": p.daily_area, "period_start": day, "period_end": day}
        agency, report = 0, {**fields, "killed": p.pick.randrange(20), "displaced": 100}
    elif p.pick.random() < CUMULATIVE_SHARE:
        agency, report = _cumulative(p)
    else:
        agency, report = _plain(p)
    status = "verified" if p.made < DAYS else p.pick.choice(STATUSES)
    report.update(status=status, source_name="bench", external_id=f"fig-{p.made:07d}")
    if status == "verified":
        report.update(verified_by=p.verifier, verified_at=now)
    p.made += 1
    return agency, report


def load(p: Plan, count: int) -> None:
    """Add `count` more reports of the plan's stream, a chunk per COPY."""
    while count > 0:
        chunk = min(count, CHUNK)
        by_agency: list[list[dict]] = [[] for _ in range(AGENCIES)]
        now = timezone.now()
        for _ in range(chunk):
            agency, report = _report(p, now)
            by_agency[agency].append(report)
        with transaction.atomic():
            for reporter, reports in zip(p.reporters, by_agency, strict=True):
                reports_insert(reports, agency=reporter.agency, user=reporter)
        count -= chunk
