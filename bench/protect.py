"""`python -m bench.protect`: how long small-number protection (tracker/disclosure.py) takes on a
year of every public area of a country the size of Syria down to districts (1 country, 14
governorates, 56 districts), with every metric reported every day and one number in four small:
about the worst a public answer's first request after a refresh meets. No database."""

import datetime
import os
import random
import time

import django


def year_of_rows(metrics, seed: int = 1) -> list[dict]:
    pick = random.Random(seed).choice
    areas = {"SY": None}
    for governorate in range(14):
        areas[f"SY{governorate:02d}"] = "SY"
        for district in range(4):
            areas[f"SY{governorate:02d}{district:02d}"] = f"SY{governorate:02d}"
    rows, start = [], datetime.date(2024, 1, 1)
    for offset in range(365):
        for area, parent in areas.items():
            row = {"area": area, "parent": parent, "level": len(area) // 2 - 1,
                   "date": start + datetime.timedelta(days=offset)}  # fmt: skip
            for metric in metrics:
                count = pick([None, 0, 1, 2, 3, 7, 20, 100])
                row |= {metric + suffix: count for suffix in ("", "_low", "_high", "_cumulative")}
            rows.append(row)
    return rows


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    django.setup()
    from tracker.disclosure import Protection, protect
    from tracker.models.figures import METRICS

    rows = year_of_rows(METRICS)
    began = time.perf_counter()
    protected = protect(rows, Protection(min_count=5, from_level=2))
    seconds = time.perf_counter() - began
    withheld = sum(1 for row in protected for name in row["withheld"] if name in METRICS)
    print(f"{len(rows)} rows, {withheld} daily cells withheld: {seconds:.2f} s")


if __name__ == "__main__":
    main()
