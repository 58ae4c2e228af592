"""gunicorn serving bench.settings on loopback, and a load generator bounded in count and time."""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=60) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Gunicorn:
    """`gunicorn tracker.wsgi:application` with sync workers, as in the README, on a free port."""

    def __init__(self, workers: int, timeout: int):
        self.workers, self.timeout = workers, timeout
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "gunicorn", "tracker.wsgi:application"),
            *("--bind", f"{HOST}:{self.port}", "--workers", str(self.workers)),
            *("--timeout", str(self.timeout), "--error-logfile", str(self.log)),
        ]

    def __enter__(self) -> "Gunicorn":
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process = subprocess.Popen(self.command(), cwd=REPO, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if request(self.port, "GET", "/api/v1/health/", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not come up; its log:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        self.stop()
        if exc[0] is None:
            self.log.unlink(missing_ok=True)
        else:
            print(f"gunicorn's log is kept in {self.log}", file=sys.stderr)

    def stop(self) -> None:
        stop(self.process)


def stop(process: subprocess.Popen) -> None:
    """Ask `process` to stop; kill it if it has not within 30 s."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Worker:
    """`celery -A tasks worker` (one process) on the bench's Redis, for the bulk imports that
    gunicorn stores; nothing when there is no Redis (gunicorn runs them itself then)."""

    def __init__(self):
        self.process = None
        self.log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])

    def __enter__(self) -> "Worker":
        if not os.environ.get("REDIS_URL"):
            return self
        from tasks import celery_app

        celery_app.control.purge()  # nothing an earlier run left behind
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        command = [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo",
                   "--without-gossip", "--without-mingle", "--loglevel=WARNING"]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            stop(self.process)
        if exc[0] is None:
            self.log.unlink(missing_ok=True)
        else:
            print(f"the worker's log is kept in {self.log}", file=sys.stderr)


@dataclass
class Load:
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __add__(self, other: "Load") -> "Load":
        return Load(self.seconds + other.seconds, self.statuses + other.statuses)

    def codes(self) -> str:
        pairs = sorted(self.statuses.items(), key=str)
        return "(" + ", ".join(f"{n} x {code}" for code, n in pairs) + ")"


def alternate(port, targets: dict, *, method, body, count, rounds, concurrency, time_limit, warm):
    """{name: Load} for each of `targets` ({name: (path, headers)}): `warm` requests each to warm
    up, then `count` each in `rounds` rounds, alternating which goes first so that drift on a
    shared machine hits both alike."""

    def load(name: str, requests: int) -> Load:
        path, headers = targets[name]
        return hammer(
            port, path, body, headers,
            count=requests, concurrency=concurrency, time_limit=time_limit, method=method,
        )  # fmt: skip

    for name in targets:
        load(name, warm)
    totals = {name: Load() for name in targets}
    for round_ in range(rounds):
        for name in sorted(targets, reverse=round_ % 2 == 1):
            totals[name] += load(name, count // rounds)
    return totals


def status_problems(totals: dict, status: int, wanted: int) -> list[str]:
    """What went wrong: a target that did not answer `wanted` times with `status`."""
    return [
        f"{name}: wanted {wanted} x {status}, got {total.codes()}"
        for name, total in totals.items()
        if set(total.statuses) != {status} or total.requests != wanted
    ]


def hammer(port, path, body, headers, *, count, concurrency, time_limit, method="POST") -> Load:
    """POST `body` (or another `method`) to `path` `count` times from `concurrency` threads; stop
    after `time_limit` s."""
    tickets, lock = iter(range(count)), threading.Lock()
    stop_at = time.perf_counter() + time_limit

    def worker() -> Counter:
        statuses: Counter = Counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.perf_counter() < stop_at:
            with lock:
                if next(tickets, None) is None:
                    break
            try:
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                response.read()
                statuses[response.status] += 1
            except (OSError, http.client.HTTPException) as error:
                statuses[type(error).__name__] += 1
                connection.close()
        connection.close()
        return statuses

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
    seconds = time.perf_counter() - start
    return Load(seconds, sum((future.result() for future in futures), Counter()))
