"""Goal 2: POST /api/v1/reports/bulk/ with N CSV rows < 10x PostgreSQL COPY of the same N rows;
then the same N rows corrected (every count changed) < 2x the import: corrections are
set-based, as new rows are.

COPY goes into the real table, tracker_report (its indexes, constraints and foreign keys), inside a
transaction that is rolled back; it runs before the import so their external ids do not clash.
An upload of more than BULK_SYNC_ROWS rows is answered 202 and run by a worker (bench.server's
Worker); it is followed at its Location, and timed both from the POST to the finished job
(end to end) and as the worker's own time (the job's started_at to finished_at).
"""

import csv
import io
import json
import random
import time
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.results import Section, verdict
from bench.server import request
from tracker.models import Area, User
from tracker.selectors import token_by_key

PATH = "/api/v1/reports/bulk/"
GOAL = 10
CORRECTION_GOAL = 2
POLL_SECONDS = 0.5
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
        killed = pick.randrange(50)
        displaced = pick.choice(("", str(pick.randrange(20_000))))
        rows.append(
            {
                "area": pick.choice(pcodes),
                "period_start": start.isoformat(),
                "period_end": pick.choice(("", (start + timedelta(pick.randrange(7))).isoformat())),
                "displaced": displaced,
                "returned": pick.choice(("", "", str(pick.randrange(500)))),
                "killed": str(killed),
                "injured": str(i),  # no two rows are the same statement
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


def corrected(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same reports with every count of people killed one higher."""
    return [{**row, "killed": str(int(row["killed"]) + 1)} for row in rows]


def _seconds(job: dict) -> float | None:
    if not job.get("started_at") or not job.get("finished_at"):
        return None
    finished, started = (datetime.fromisoformat(job[k]) for k in ("finished_at", "started_at"))
    return (finished - started).total_seconds()


def post(port: int, token: str, body: bytes, query: str, timeout: int):
    """(HTTP status, summary, seconds end to end, the worker's seconds or None): a 202 is
    followed to its finished job, whose summary it gives."""
    headers = {"Content-Type": "text/csv", "Authorization": f"Token {token}"}
    start = time.perf_counter()
    status, answer = request(port, "POST", PATH + query, body, headers, timeout=timeout)
    try:
        summary = json.loads(answer)
    except ValueError:
        return status, {"body": answer[:300].decode(errors="replace")}, 0.0, None
    if status != 202:
        return status, summary, time.perf_counter() - start, None
    location = PATH + f"{summary['id']}/"
    while summary.get("status") not in ("done", "failed"):
        if time.perf_counter() - start > timeout:
            return 504, {"body": f"job {location} not finished in {timeout} s"}, timeout, None
        time.sleep(POLL_SECONDS)
        _, answer = request(port, "GET", location, None, headers, timeout=timeout)
        summary = json.loads(answer)
    seconds = time.perf_counter() - start
    worker = _seconds(summary)
    return (200 if summary["status"] == "done" else 500), summary, seconds, worker


def run(port: int, token: str, *, rows: int, timeout: int) -> Section:
    user = token_by_key(token).user
    pcodes = list(Area.objects.filter(level__gte=1).values_list("pcode", flat=True))
    data = make_rows(rows, pcodes)
    body = to_csv(data)
    copy = copy_seconds(copy_text(data, user))

    section = Section(f"2. Bulk import: {rows:,} rows, {len(body) / 1e6:.1f} MB of CSV")
    section.add("COPY", "into the real tracker_report, rolled back; the COPY statement alone")
    section.add("API", "POST to the finished job (its worker's own time in brackets)")
    section.add("COPY into tracker_report (rolled back)", f"{copy:8.2f} s   best of 2")
    dry = post(port, token, body, "?dry_run=true", timeout)
    if dry[0] in (404, 405):
        section.problems.append(f"POST {PATH} answers {dry[0]}: the endpoint is not there yet.")
        return section
    made = post(port, token, body, "", timeout)
    fixed = post(port, token, to_csv(corrected(data)), "", timeout)
    for label, (status, summary, seconds, worker) in (
        (f"API POST {PATH}?dry_run=true", dry), (f"API POST {PATH}", made),
        (f"API POST {PATH} correcting them all", fixed),
    ):  # fmt: skip
        spent = f"{seconds:8.2f} s" + (f" ({worker:.2f} s)" if worker is not None else "")
        section.add(label, f"{spent}   {_outcome(status, summary)}")
    ratio = made[2] / copy
    section.add("ratio import / COPY", f"{ratio:8.1f}x   goal < {GOAL}x: {verdict(ratio < GOAL)}")
    pair = (fixed[3], made[3]) if fixed[3] and made[3] else (fixed[2], made[2])
    ratio = pair[0] / pair[1]
    met = verdict(ratio < CORRECTION_GOAL)
    section.add("ratio correction / import", f"{ratio:8.1f}x   goal < {CORRECTION_GOAL}x: {met}")
    wanted = {
        "dry run": ("created", dry),
        "import": ("created", made),
        "correction": ("updated", fixed),
    }
    for name, (key, (code, answer, _, _)) in wanted.items():
        if code != 200 or answer.get(key) != rows or answer.get("rejected") != 0:
            section.problems.append(f"{name}: wanted 200 and {key}={rows}, got {code}: {answer}")
    return section


def _outcome(status: int, summary: dict) -> str:
    keys = ("created", "updated", "unchanged", "rejected")
    if status != 200 or not all(key in summary for key in keys):
        return f"HTTP {status} {str(summary)[:200]}"
    return "HTTP 200 " + " ".join(f"{key}={summary.get(key)}" for key in (*keys, "atomic"))
