"""PostgreSQL stopped and started under requests: while it is down every request answers 503
with Retry-After (never 500), and once it is back requests succeed by themselves, with no
Idempotency-Key left stuck by a request the outage broke."""

import itertools
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass

import pytest
from django.conf import settings

from tests.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]
OUTAGE_SECONDS = 5
DATABASE = "tracker_fault"


@dataclass
class Sent:
    path: str
    key: str | None
    sent_at: float
    answered_at: float
    status: int
    headers: dict
    body: object


def manage(server, *arguments: str) -> str:
    """`manage.py` against the private server's database; its output."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "tests-only",
        "DATABASE_URL": server.url(DATABASE),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Clients:
    """Threads listing and submitting reports (each POST with its own Idempotency-Key) without
    pause, recording every answer."""

    def __init__(self, web, token: str, threads: int = 3):
        self.web, self.token, self.sent, self.bodies = web, token, [], {}
        self.numbers, self.done = itertools.count(1), threading.Event()
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def body(self, n: int) -> dict:
        return {"area": "SY0200", "period_start": "2024-11-28", "killed": n}

    def send(self, method: str, path: str, key: str | None = None, body=None) -> Sent:
        headers = {"Idempotency-Key": key} if key else {}
        if key:
            self.bodies[key] = body
        sent_at = time.monotonic()
        answer = self.web.call(method, path, self.token, body, headers=headers)
        sent = Sent(path, key, sent_at, time.monotonic(), answer.status, answer.headers,
                    answer.body)  # fmt: skip
        self.sent.append(sent)
        return sent

    def _run(self) -> None:
        while not self.done.is_set():
            n = next(self.numbers)
            if n % 2:
                self.send("GET", "/api/v1/reports/?page_size=5")
            else:
                self.send("POST", "/api/v1/reports/", f"k-{n}", self.body(n))
            time.sleep(0.02)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=60)


def blocked_submission(server, clients):
    """A POST with an Idempotency-Key held inside the database (the reports table locked), so
    that the outage breaks it after it claimed its key. Returns the thread and the lock holder."""
    holder = server.connect(DATABASE)
    holder.autocommit = False
    with holder.cursor() as cursor:
        cursor.execute("LOCK TABLE tracker_report IN ACCESS EXCLUSIVE MODE")
    thread = threading.Thread(
        target=clients.send, args=("POST", "/api/v1/reports/", "stuck", clients.body(10**6))
    )
    thread.start()

    def waits():
        """the submission waits for the reports table"""
        with closing(server.connect(DATABASE)) as watcher, watcher.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return cursor.fetchone()[0] > 0

    wait_until(waits, 20)
    return thread, holder


def test_postgres_restart_answers_503_then_recovers_by_itself(
    private_postgres, private_redis, start_web
):
    server = private_postgres
    server.create_database(DATABASE)
    manage(server, "migrate", "--no-input")
    token = manage(server, "issue_token", "fault", "--agency", "FLT", "--role", "reporter")
    token = token.strip().splitlines()[-1]
    web = start_web(redis_url=private_redis.url, database_url=server.url(DATABASE), workers=3)

    with Clients(web, token) as clients:
        time.sleep(1)
        stuck, holder = blocked_submission(server, clients)
        server.stop()
        down_at = time.monotonic()
        during = clients.send("POST", "/api/v1/reports/", "during", clients.body(10**6 + 1))
        stuck.join(timeout=30)
        time.sleep(OUTAGE_SECONDS)
        restart_at = time.monotonic()
        server.start()
        back_at = time.monotonic()
        time.sleep(3)
    holder.close()

    statuses = sorted({sent.status for sent in clients.sent})
    assert set(statuses) <= {200, 201, 503}, statuses
    outage = [s for s in clients.sent if s.sent_at > down_at and s.answered_at < restart_at]
    assert len(outage) > 10 and {s.status for s in outage} == {503}
    for sent in (s for s in clients.sent if s.status == 503):
        assert int(sent.headers["Retry-After"]) > 0
        assert "database is unavailable" in sent.body["detail"]
        assert sent.headers.get("X-Request-ID")
    after = [s for s in clients.sent if s.sent_at > back_at]
    assert len(after) > 10 and {s.status for s in after} <= {200, 201}, [
        (round(s.sent_at - back_at, 2), s.status, s.body) for s in after if s.status >= 300
    ]

    # The key of the request the shutdown broke, and the one refused while down, work now.
    stuck_answer = next(s for s in clients.sent if s.key == "stuck")
    assert stuck_answer.status == 503
    assert during.status == 503
    for sent in [stuck_answer, during, *[s for s in outage if s.key][:20]]:
        retry = clients.send("POST", "/api/v1/reports/", sent.key, clients.bodies[sent.key])
        assert retry.status == 201, (sent.key, retry.status, retry.body)

    # Every accepted write is stored.
    created = [s.body["id"] for s in clients.sent if s.status == 201]
    with closing(server.connect(DATABASE)) as check, check.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracker_report WHERE id = ANY(%s)", [created])
        assert cursor.fetchone()[0] == len(set(created))


def test_after_an_idle_restart_no_worker_fails_its_first_request(private_postgres, start_web):
    server = private_postgres
    server.create_database(DATABASE)
    manage(server, "migrate", "--no-input")
    token = manage(server, "issue_token", "fault", "--agency", "FLT", "--role", "reporter")
    token = token.strip().splitlines()[-1]
    web = start_web(redis_url=None, database_url=server.url(DATABASE), workers=3)
    for _ in range(12):  # every worker holds a connection from before the restart
        assert web.call("GET", "/api/v1/reports/", token).status == 200

    server.stop()
    server.start()

    answers = [web.call("GET", "/api/v1/reports/", token).status for _ in range(12)]
    assert answers == [200] * 12
