"""The production recipe (`bin/production ENV_FILE`) on a database and a Redis of its own, for
the load test: started in its own session, ready when /healthz says so, stopped whole."""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.server import REPO, free_port


class PrivateRedis:
    """A redis-server on a free port, keeping nothing on disk: no other queue is touched."""

    def __enter__(self) -> "PrivateRedis":
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.directory = tempfile.mkdtemp(prefix="load-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(0.5)
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


class Recipe:
    """`bin/production ENV_FILE` with `settings` in the env file, until the block ends."""

    def __init__(self, settings: dict[str, str]):
        self.run_dir = Path(tempfile.mkdtemp(prefix="load-run-"))  # short: a socket lives there
        self.listen = f"127.0.0.1:{free_port()}"
        self.settings = {
            "PROXY_LISTEN": self.listen,
            "GUNICORN_LISTEN": f"127.0.0.1:{free_port()}",
            "RUN_DIR": str(self.run_dir),
            "STATIC_ROOT": str(self.run_dir / "static"),
            **settings,
        }

    @property
    def url(self) -> str:
        return f"http://{self.listen}"

    def __enter__(self) -> "Recipe":
        env_file = self.run_dir / "env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.log = (self.run_dir / "production.log").open("w")
        self.process = subprocess.Popen(
            [str(REPO / "bin" / "production"), str(env_file)], env=env, cwd=REPO,
            stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.healthz() == 200:
                return self
            time.sleep(0.5)
        self.__exit__(RuntimeError, None, None)
        raise RuntimeError(f"the recipe did not become healthy: see {self.run_dir}/log")

    def healthz(self) -> int | None:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def __exit__(self, *exc) -> None:
        """SIGTERM to supervisord stops every program; anything left in its session is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=90)
        for pid in _session(self.process.pid):
            os.kill(pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()
        if exc[0] is None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            print(f"The recipe's logs are kept in {self.run_dir}/log")


def _session(session: int) -> list[int]:
    ps = subprocess.run(["ps", "-eo", "sid=,pid="], capture_output=True, text=True)
    pairs = (line.split() for line in ps.stdout.splitlines())
    return [int(pid) for sid, pid in pairs if sid == str(session) and pid != str(session)]
