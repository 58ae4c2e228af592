"""`python -m bench.rebuilder`: one `engine.rebuild()` in a process of its own, for bench.rebuild.

Prints one JSON line: the rebuild's seconds (and of them, its figure versions'), this process's
peak RSS, and, from PostgreSQL, the
temporary file bytes the database wrote meanwhile and its backend's peak RSS (when it runs on this
machine; that includes the shared buffers it touched).
"""

import json
import resource
import time
from pathlib import Path

import django

TEMP_BYTES = "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"


def _one(cursor, sql: str):
    cursor.execute(sql)
    return cursor.fetchone()[0]


def _backend_peak_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(line.split()[1]) if line else None


def main() -> None:
    django.setup()
    from django.db import connection

    from bench.refresh import versions_clock
    from tracker.figures import engine

    engine.calendar_ensure()
    with connection.cursor() as cursor:
        temp_before = _one(cursor, TEMP_BYTES)
        backend = _one(cursor, "SELECT pg_backend_pid()")
    versions = [0.0]
    start = time.perf_counter()
    with connection.execute_wrapper(versions_clock(versions)):
        engine.rebuild()
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed before the next statement
        temp = _one(cursor, TEMP_BYTES) - temp_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "versions_seconds": versions[0],
                "max_rss_kib": peak,
                "temp_bytes": temp,
                "backend_max_rss_kib": _backend_peak_kib(backend),
            }
        )
    )


if __name__ == "__main__":
    main()
