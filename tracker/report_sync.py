"""The report sync feed's horizon: how far a sync page may read without ever skipping a report.

A sync client pages through reports in (updated_at, id) order and keeps its place (a cursor) in
that order. `updated_at` is stamped when a report is written, not when its transaction commits:
a transaction that stamps a report at 10:00:00 and commits at 10:00:05 makes the report appear
behind a client that already read everything up to 10:00:04 from other, quicker transactions.
Such a report would never be seen.

So a sync page serves only reports stamped before the horizon: the start of the oldest
transaction still writing reports (on PostgreSQL: holding the RowExclusiveLock that INSERT,
UPDATE and COPY take on the reports table until they end), or now when none is, less
SYNC_MARGIN_SECONDS. Every report that is not yet visible belongs to a transaction that started
at or after the horizon, or that has not started yet, so it is stamped at or after it and comes on
a later page. Read transactions (a long figures rebuild, a backup) do not hold the feed back; a
long write (a 200,000-row import) does, until it commits. The margin covers what the lock does
not: the application stamps `updated_at` just before its statement is sent (and takes its lock),
on a clock that may be a little off the database's. On SQLite writers take turns, so the horizon
is now, less the margin.

Writers are the tracker's own processes, under its database user, whose sessions' start times
pg_stat_activity shows; a session of another user writing reports would need `pg_read_all_stats`
for its start to count. The reading session's own transaction is left out: what it wrote, it
sees already.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tracker.models import Report

OLDEST_WRITER = """
SELECT LEAST(clock_timestamp(), MIN(activity.xact_start))
FROM pg_locks AS held
JOIN pg_stat_activity AS activity ON activity.pid = held.pid
WHERE held.locktype = 'relation' AND held.mode = 'RowExclusiveLock'
  AND held.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND held.relation = %s::regclass AND held.pid <> pg_backend_pid()"""


def reports_sync_horizon() -> datetime:
    """Reports stamped before this moment may be served to a sync client; later ones wait."""
    margin = timedelta(seconds=settings.SYNC_MARGIN_SECONDS)
    if connection.vendor != "postgresql":
        return timezone.now() - margin
    with connection.cursor() as cursor:
        # Within a transaction, pg_stat_activity keeps what it first read: read it afresh.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(OLDEST_WRITER, [Report._meta.db_table])
        (moment,) = cursor.fetchone()
    return moment - margin
