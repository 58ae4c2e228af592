"""Processes of a test's own, so that faults touch nothing else: a Redis server to kill, a Redis
that never answers, and gunicorn serving the test database."""

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest
from django.conf import settings

from tests.conftest import require, service_env, stop, wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A redis-server of the test's own, on a free port, keeping nothing on disk."""

    directory: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

        def answers():
            """the private Redis answers"""
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, 10)

    def kill(self) -> None:
        """Gone at once, as a crashed server or machine: SIGKILL, nothing saved."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    require("redis-server (apt-get install redis-server)", shutil.which("redis-server") is not None)
    server = RedisServer(str(tmp_path))
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def hung_redis():
    """The URL of a 'Redis' that accepts connections and never answers (a hung server, or one
    behind a broken network path)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    held, done = [], threading.Event()

    def accept():
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    done.set()
    thread.join(timeout=5)
    for sock in [*held, listener]:
        sock.close()


@dataclass
class Answer:
    status: int
    body: object
    seconds: float


@dataclass
class Web:
    url: str

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> Answer:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        seconds = time.monotonic() - started
        try:
            return Answer(status, json.loads(raw) if raw else None, seconds)
        except ValueError:
            return Answer(status, raw, seconds)


@pytest.fixture
def start_web(transactional_db, tmp_path):
    """Starts gunicorn serving the API from the test database, with Redis at `redis_url`."""
    started = []

    def start(*, redis_url: str | None) -> Web:
        port = free_port()
        log = (tmp_path / f"web{len(started)}.log").open("w")
        command = [sys.executable, "-m", "gunicorn", "tracker.wsgi:application",
                   "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
                   "--no-control-socket"]  # fmt: skip
        process = subprocess.Popen(
            command, env=service_env(redis_url=redis_url), cwd=settings.BASE_DIR,
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        started.append((process, log))
        web = Web(f"http://127.0.0.1:{port}")

        def serves():
            """gunicorn answers"""
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: see {log.name}")
            try:
                return web.call("GET", "/api/v1/me/", "no-token").status == 401
            except OSError:
                return False

        wait_until(serves, 30)
        return web

    yield start
    for process, log in started:
        stop(process)
        log.close()
