"""Celery beat's scheduler: RedBeat's, which keeps the schedule and a lock in Redis, so that a
second beat started by mistake waits for the lock instead of sending every task twice.

RedBeat's own scheduler raises out of its tick when Redis is unreachable, which ends the beat
process (and, embedded in a worker, leaves the worker without its sweep). This one waits the
outage out, and takes the lock again when it lost it: the lock expired while Redis was
unreachable (another beat may hold it now) or a Redis that keeps nothing on disk came back
without it, and without the schedule, which it then installs again.
"""

from types import SimpleNamespace

import redis
from celery.utils.log import get_logger
from redbeat import RedBeatScheduler
from redbeat.schedulers import acquire_distributed_beat_lock

logger = get_logger("celery.beat")
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
OUTAGE_RETRY_SECONDS = 2.0


class Scheduler(RedBeatScheduler):
    installed = False  # the schedule is in Redis

    def setup_schedule(self):
        try:
            super().setup_schedule()
            self.installed = True
        except REDIS_DOWN as error:  # at start-up: installed by the first tick that reaches Redis
            logger.warning("beat: Redis is unreachable (%s); the schedule waits for it", error)

    def tick(self, *args, **kwargs):
        try:
            if self.lock is None:
                # Wait for it as a beat started second does (RedBeat's own start-up step).
                acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=self))
                self.installed = False  # Redis may have lost the schedule with the lock
            if not self.installed:
                self.setup_schedule()
            return super().tick(*args, **kwargs)
        except REDIS_DOWN as error:
            logger.warning(
                "beat: Redis is unreachable (%s); trying again in %s s", error, OUTAGE_RETRY_SECONDS
            )
            return OUTAGE_RETRY_SECONDS
        except redis.exceptions.LockError:
            logger.warning("beat: Lost the lock; waiting to take it again")
            self.lock = None
            return 0.1
