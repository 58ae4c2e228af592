"""The production recipe's pieces as processes of a test's own, on free ports: nginx in front
of a gunicorn (tests/faults/conftest.py), or the whole recipe started by its one command."""

import os
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require, service_env, stop, wait_until
from tests.faults.conftest import Web, free_port, private_redis, start_web  # noqa: F401


def get(url: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    """GET without a token: status, headers and body."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def require_nginx() -> None:
    require("nginx (apt-get install nginx)", shutil.which("nginx") is not None)


@pytest.fixture
def run_dir():
    """A RUN_DIR for the recipe: short (supervisord's socket lives there) and removed after."""
    path = tempfile.mkdtemp(prefix="tracker-run-")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_proxy(run_dir, tmp_path):
    """Starts the recipe's nginx (`deploy/run proxy`) in front of a `start_web` gunicorn."""
    require_nginx()
    started = []

    def start(web: Web) -> Web:
        listen = f"127.0.0.1:{free_port()}"
        env = {**service_env(redis_url=None), "RUN_DIR": str(run_dir), "PROXY_LISTEN": listen,
               "GUNICORN_LISTEN": web.url.removeprefix("http://")}  # fmt: skip
        log = (tmp_path / "proxy.log").open("w")
        process = subprocess.Popen(
            [str(settings.BASE_DIR / "deploy" / "run"), "proxy"], env=env, stdout=log,
            stderr=log, start_new_session=True,
        )  # fmt: skip
        started.append((process, log))
        proxy = Web(f"http://{listen}")

        def serves():
            """nginx passes requests on to gunicorn"""
            if process.poll() is not None:
                pytest.fail(f"nginx exited: see {log.name}")
            try:
                return proxy.call("GET", "/api/v1/me/", "no-token").status == 401
            except OSError:
                return False

        wait_until(serves, 30)
        return proxy

    yield start
    for process, log in started:
        stop(process)
        log.close()


@dataclass
class Recipe:
    """`bin/production ENV_FILE`, running: supervisord and the programs it keeps running."""

    process: subprocess.Popen
    url: str
    env: dict
    run_dir: Path

    def supervisorctl(self, *args: str) -> str:
        command = [str(settings.BASE_DIR / ".venv" / "bin" / "supervisorctl"), "-c",
                   str(settings.BASE_DIR / "deploy" / "supervisord.conf"), *args]  # fmt: skip
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=30)
        return result.stdout

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip() or 0)

    def log(self, program: str) -> str:
        return (self.run_dir / "log" / f"{program}.log").read_text()


def leftovers(session: int) -> list[str]:
    """Processes still in the recipe's session (supervisord's children share it)."""
    ps = subprocess.run(["ps", "-eo", "sid=,pid=,args="], capture_output=True, text=True)
    return [line for line in ps.stdout.splitlines() if line.split()[0] == str(session)]


@pytest.fixture
def start_recipe(transactional_db, run_dir, tmp_path):
    """Starts the production recipe by its one command, `bin/production ENV_FILE`, against the
    test database and the given Redis; stops it (SIGTERM to supervisord) at the end, and fails
    the test if a process outlives it."""
    require_nginx()
    started = []

    def start(*, redis_url: str, **settings_: str) -> Recipe:
        listen = f"127.0.0.1:{free_port()}"
        values = {
            "DATABASE_URL": service_env(redis_url=None)["DATABASE_URL"],
            "REDIS_URL": redis_url,
            "SECRET_KEY": "tests-only-secret-key",
            "ALLOWED_HOSTS": "127.0.0.1",
            "HTTPS": "false",  # plain HTTP on loopback: the explicit opt-out
            "PROXY_LISTEN": listen,
            "GUNICORN_LISTEN": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "2",
            "RUN_DIR": str(run_dir),
            "STATIC_ROOT": str(tmp_path / "static"),
            **settings_,
        }
        env_file = tmp_path / "env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
        log = (tmp_path / "production.log").open("w")
        process = subprocess.Popen(
            [str(settings.BASE_DIR / "bin" / "production"), str(env_file)], env=env,
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        started.append((process, log))
        recipe = Recipe(process, f"http://{listen}", {**env, **values}, run_dir)

        def healthy():
            """the recipe's /healthz is 200 through nginx (a worker answers too)"""
            if process.poll() is not None:
                pytest.fail(f"bin/production exited: see {log.name}")
            try:
                return get(f"{recipe.url}/healthz", timeout=5)[0] == 200
            except OSError:
                return False

        wait_until(healthy, 90)
        return recipe

    yield start
    for process, log in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=150)  # supervisord stops its programs in turn; slow when busy
        finally:
            left = leftovers(process.pid)
            for line in left:
                os.kill(int(line.split()[1]), signal.SIGKILL)
            stop(process)
            log.close()
        assert process.returncode == 0, f"supervisord exited with {process.returncode}"
        assert not left, f"still running after supervisord stopped: {left}"
