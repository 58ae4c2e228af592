"""Exactly one beat sends the schedule: a second beat started by mistake waits for the lock
the first holds in Redis and takes over when it stops; beat waits a Redis outage out, and puts
its schedule back into a Redis that came back empty."""

import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.conftest import service_env, stop, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.services]
SENT = "Sending due task figures-sweep"  # every FIGURES_SWEEP_SECONDS: 2 s here


class Beat:
    def __init__(self, redis_url: str, log_path):
        self.log_path = log_path
        self.log_file = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "beat", "--loglevel=INFO"],
            env=service_env(redis_url=redis_url), cwd=settings.BASE_DIR,
            stdout=self.log_file, stderr=self.log_file, start_new_session=True,
        )  # fmt: skip

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def sent(self) -> int:
        return self.log.count(SENT)

    def stop(self) -> None:
        stop(self.process)
        self.log_file.close()


@pytest.fixture
def start_beat(tmp_path):
    beats = []

    def start(redis_url: str) -> Beat:
        beats.append(Beat(redis_url, tmp_path / f"beat{len(beats)}.log"))
        return beats[-1]

    yield start
    for beat in beats:
        beat.stop()


def test_a_second_beat_waits_for_the_first_and_takes_over_when_it_stops(start_beat, private_redis):
    first = start_beat(private_redis.url)
    wait_until(lambda: first.sent() >= 1, 30)
    second = start_beat(private_redis.url)
    wait_until(lambda: "beat: Starting..." in second.log, 30)
    sent_before = first.sent()
    time.sleep(8)

    assert first.sent() >= sent_before + 3
    assert second.sent() == 0
    assert "Acquired lock" not in second.log

    first.stop()  # SIGTERM: it releases the lock
    assert "beat: Releasing lock" in first.log

    def took_over():
        """the second beat holds the lock and sends the schedule"""
        return "Acquired lock" in second.log and second.sent() >= 2

    wait_until(took_over, 30)


def test_beat_waits_a_redis_outage_out_and_installs_its_schedule_again(start_beat, private_redis):
    beat = start_beat(private_redis.url)
    wait_until(lambda: beat.sent() >= 1, 30)
    private_redis.kill()
    time.sleep(6)
    assert beat.process.poll() is None, beat.log
    sent_during_outage = beat.sent()

    private_redis.start()  # empty: no lock, no schedule

    def sends_again():
        """beat took the lock again and sends its schedule"""
        assert beat.process.poll() is None, beat.log
        return beat.sent() >= sent_during_outage + 2

    wait_until(sends_again, 30)
    assert "Redis is unreachable" in beat.log
    assert beat.log.count("Acquired lock") == 2
