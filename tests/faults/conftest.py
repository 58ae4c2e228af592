"""Processes of a test's own, so that faults touch nothing else: a Redis server to kill, a Redis
that never answers, a PostgreSQL server to stop and start, and gunicorn serving the test
database (or that server's)."""

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
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


def postgres_binaries() -> Path | None:
    """Where initdb and pg_ctl are (Debian keeps them out of PATH), the newest version first."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclass
class PostgresServer:
    """A PostgreSQL server of the test's own, made by initdb in a temporary folder and listening
    on a free port, so that stopping it touches nothing else. As root it runs as the `postgres`
    user (PostgreSQL refuses to run as root)."""

    binaries: Path
    directory: Path
    port: int = field(default_factory=free_port)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *arguments: str, check: bool = True):
        command = [str(self.binaries / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"{program} failed: {done.stdout}{done.stderr}")
        return done

    def init(self) -> None:
        self._run("initdb", "-D", str(self.directory / "data"), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def _pg_ctl(self, *arguments: str, check: bool = True):
        data = str(self.directory / "data")
        return self._run("pg_ctl", "-D", data, "-w", "-t", "30", *arguments, check=check)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c full_page_writes=off")  # fmt: skip
        self._pg_ctl("-l", str(self.directory / "server.log"), "-o", options, "start")

    def stop(self, *, check: bool = True) -> None:
        """`pg_ctl stop -m fast`: sessions are ended at once, as in a restart for maintenance."""
        self._pg_ctl("-m", "fast", "stop", check=check)

    def connect(self, database: str):
        """A psycopg2 connection in autocommit; close it (contextlib.closing)."""
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database
        )
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> None:
        with closing(self.connect("postgres")) as connection, connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture
def private_postgres():
    """A running PostgreSQL server of the test's own (PostgresServer), removed afterwards."""
    binaries = postgres_binaries()
    require("PostgreSQL's server programs (apt-get install postgresql)", binaries is not None)
    if os.geteuid() == 0:
        require("a postgres OS user to run PostgreSQL as", _user_exists("postgres"))
    directory = Path(tempfile.mkdtemp(prefix="tracker-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PostgresServer(binaries, directory)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop(check=False)
        shutil.rmtree(directory, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Answer:
    status: int
    body: object
    seconds: float
    headers: dict = field(default_factory=dict)


@dataclass
class Web:
    url: str

    def call(
        self,
        method: str,
        path: str,
        token: str,
        body: dict | None = None,
        headers: dict | None = None,
    ) -> Answer:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                     **(headers or {})},
        )  # fmt: skip
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, given = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, given = error.code, error.read(), error.headers
        seconds = time.monotonic() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return Answer(status, parsed, seconds, dict(given.items()))


@pytest.fixture
def start_web(transactional_db, tmp_path):
    """Starts gunicorn serving the API from the test database (or `database_url`), with Redis at
    `redis_url` and any other settings in `env`."""
    started = []

    def start(
        *,
        redis_url: str | None,
        database_url: str | None = None,
        workers: int = 2,
        env: dict | None = None,
    ) -> Web:
        port = free_port()
        log = (tmp_path / f"web{len(started)}.log").open("w")
        command = [sys.executable, "-m", "gunicorn", "tracker.wsgi:application",
                   "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
                   "--no-control-socket"]  # fmt: skip
        environment = {**service_env(redis_url=redis_url), **(env or {})}
        if database_url:
            environment["DATABASE_URL"] = database_url
        process = subprocess.Popen(
            command, env=environment, cwd=settings.BASE_DIR,
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
