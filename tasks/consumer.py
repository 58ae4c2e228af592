"""The worker's consumer: Celery's, with a workaround for a bug of Celery 5.7.0 with kombu's
Redis transport that kills the worker when Redis drops while it holds unacknowledged messages
(acks_late refreshes running or prefetched): `Unrecoverable error: AttributeError("'NoneType'
object has no attribute 'hostname'")`, exit 1.

On a lost connection, Celery 5.7.0 (celery/celery#10242, commit feb789a, "close broken connection
in error handler") calls `connection.collect()` and then `connection.close()`. With Redis,
collect() first tries to close the task channel, whose close reads the pending BRPOP reply from
the dead socket, fails and gives up; collect() then detaches the transport all the same. close()
closes the channel again, which now gets as far as restoring the unacknowledged messages and
builds a new Redis connection pool from the detached transport's settings: None.hostname.

The workaround closes the task channel while its transport is still attached (twice: the first
attempt only consumes the failed BRPOP read), so collect() and close() find it closed. No
release of Celery or kombu fixes it yet (5.7.0 is the latest of both): the guard below stops a
worker whose Celery or kombu is not the one it was written for, so that whoever upgrades checks
whether it is still needed (`tests/faults/test_redis.py` fails without it).
"""

import celery
import kombu
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.common import ignore_errors

WRITTEN_FOR = ("5.7.0", "5.7.0")  # celery, kombu

if (celery.__version__, kombu.__version__) != WRITTEN_FOR:
    raise RuntimeError(
        f"tasks/consumer.py works around a bug of celery and kombu {WRITTEN_FOR}; this is celery "
        f"{celery.__version__} with kombu {kombu.__version__}. Run tests/faults/test_redis.py "
        "with worker_consumer unset: if it passes, remove the workaround; else update WRITTEN_FOR."
    )


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        channel = connection._default_channel if connection is not None else None
        if channel is not None:
            for _ in range(2):
                ignore_errors(connection, channel.close)
        super().on_connection_error_after_connected(exc)
