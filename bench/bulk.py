"""Goal 2: POST /api/v1/reports/bulk/ with N CSV rows < 10x PostgreSQL COPY of the same N rows.

COPY goes into the real table, tracker_report (its indexes, constraints and foreign keys), inside a
transaction that is rolled back; it runs before the import so their external ids do not clash.
"""

import csv
import io
import json
import random
import time
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.results import Section, verdict
from bench.server import request
from tracker.models import Area, User

PATH = "/api/v1/reports/bulk/"
GOAL = 10
COLUMNS = (
    *("area", "period_start", "period_end", "displaced", "returned", "killed", "injured"),
    *("killed_children", "injured_children", "cumulative", "destination", "external_id"),
    *("source_url", "source_name", "notes"),
)
COUNTS = COLUMNS[3:9]
NOTES = ('Shelling near "the market", families moved north', "Figures from the camp committee")


def make_rows(n: int, pcodes: list[str], seed: int = 2024) -> list[dict[str, str]]:
    """N plausible reports as CSV cells; an empty cell is "not reported"."""
    pick = random.Random(seed)
    first = date(2024, 11, 1)
    rows = []
    for i in range(n):
        start = first + timedelta(days=pick.randrange(30))
        killed, injured = pick.randrange(50), pick.randrange(200)
        displaced = pick.choice(("", str(pick.randrange(20_000))))
        rows.append(
            {
                "area": pick.choice(pcodes),
                "period_start": start.isoformat(),
                "period_end": pick.choice(("", (start + timedelta(pick.randrange(7))).isoformat())),
                "displaced": displaced,
                "returned": pick.choice(("", "", str(pick.randrange(500)))),
                "killed": str(killed),
                "injured": pick.choice(("", str(injured))),
                "killed_children": pick.choice(("", str(pick.randint(0, killed)))),
                "injured_children": "",
                "cumulative": pick.choice(("", "false")),
                "destination": pick.choice(pcodes) if displaced and pick.random() < 0.5 else "",
                "external_id": f"bulk-{i:07d}",
                "source_url": f"https://example.org/reports/{i}",
                "source_name": "Bench field team",
                "notes": pick.choice(("", "", *NOTES)),
            }
        )
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    for char, escaped in (("\\", "\\\\"), ("\t", r"\t"), ("\n", r"\n"), ("\r", r"\r")):
        text = text.replace(char, escaped)
    return text


COPY_COLUMNS = (
    *("agency_id", "submitted_by_id", "area_id", "period_start", "period_end", *COUNTS),
    *("cumulative", "destination_id", "external_id", "source_url", "source_name", "notes"),
    *("status", "status_reason", "created_at", "updated_at"),
)


def copy_text(rows: list[dict[str, str]], user: User) -> str:
    """The same rows in the table's own columns, in COPY's text format (done before the clock)."""
    area_ids = dict(Area.objects.values_list("pcode", "pk"))
    now = timezone.now().isoformat()
    lines = []
    for row in rows:
        values = (
            *(user.agency_id, user.pk, area_ids[row["area"]], row["period_start"]),
            row["period_end"] or row["period_start"],
            *(int(row[name]) if row[name] else None for name in COUNTS),
            row["cumulative"] == "true",
            area_ids.get(row["destination"]),
            *(row["external_id"], row["source_url"], row["source_name"], row["notes"]),
            *("pending", "", now, now),
        )
        lines.append("\t".join(_cell(value) for value in values) + "\n")
    return "".join(lines)


def copy_seconds(text: str, repeats: int = 2) -> float:
    """Best time of `repeats` COPYs into tracker_report, each rolled back."""
    sql = f"COPY tracker_report ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    best = float("inf")
    for _ in range(repeats):
        with transaction.atomic(), connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.copy_expert(sql, io.StringIO(text))
            best = min(best, time.perf_counter() - start)
            transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tracker_report")  # the import starts on a clean table
    return best


def post(port: int, token: str, body: bytes, query: str, timeout: int):
    headers = {"Content-Type": "text/csv", "Authorization": f"Token {token}"}
    start = time.perf_counter()
    status, answer = request(port, "POST", PATH + query, body, headers, timeout=timeout)
    seconds = time.perf_counter() - start
    try:
        summary = json.loads(answer)
    except ValueError:
        summary = {"body": answer[:300].decode(errors="replace")}
    return status, seconds, summary


def run(port: int, token: str, *, rows: int, timeout: int) -> Section:
    user = User.objects.get(auth_token__key=token)
    pcodes = list(Area.objects.filter(level__gte=1).values_list("pcode", flat=True))
    data = make_rows(rows, pcodes)
    body = to_csv(data)
    copy = copy_seconds(copy_text(data, user))

    section = Section(f"2. Bulk import: {rows:,} rows, {len(body) / 1e6:.1f} MB of CSV")
    section.add("COPY", "into the real tracker_report, rolled back; the COPY statement alone")
    section.add("API", "the whole request on loopback: upload, parse, check, insert, commit")
    section.add("COPY into tracker_report (rolled back)", f"{copy:8.2f} s   best of 2")
    dry_status, dry, dry_summary = post(port, token, body, "?dry_run=true", timeout)
    status, seconds, summary = post(port, token, body, "", timeout)
    if status in (404, 405):
        section.problems.append(f"POST {PATH} answers {status}: the endpoint is not there yet.")
        return section
    section.add(
        f"API POST {PATH}?dry_run=true", f"{dry:8.2f} s   {_outcome(dry_status, dry_summary)}"
    )
    section.add(f"API POST {PATH}", f"{seconds:8.2f} s   {_outcome(status, summary)}")
    ratio = seconds / copy
    section.add("ratio API / COPY", f"{ratio:8.1f}x   goal < {GOAL}x: {verdict(ratio < GOAL)}")
    if seconds > 30:
        section.add("note", "longer than gunicorn's default 30 s worker timeout (bench uses more)")
    for name, code, answer in (("dry run", dry_status, dry_summary), ("import", status, summary)):
        wanted = {"created": rows, "rejected": 0}
        if code != 200 or any(answer.get(key) != value for key, value in wanted.items()):
            section.problems.append(f"{name}: wanted 200 and {wanted}, got {code}: {answer}")
    return section


def _outcome(status: int, summary: dict) -> str:
    keys = ("created", "updated", "unchanged", "rejected")
    if status != 200 or not all(key in summary for key in keys):
        return f"HTTP {status} {str(summary)[:200]}"
    return "HTTP 200 " + " ".join(f"{key}={summary.get(key)}" for key in (*keys, "atomic"))
