"""The task worker of the database backend, made to outlive a database outage.

django-tasks-db's worker loop raises out of the command on the first connection error that is
not a locked SQLite file, so a PostgreSQL restart or fail-over ended the worker and left sends
and imports queued until someone restarted it. This one catches the error around the loop,
closes the connections, waits with capped exponential back-off and goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = (OperationalError, InterfaceError)


def backoff_delays(*, first: float, cap: float):
    """first, 2 x first, 4 x first, ... never above cap."""
    delay = first
    while True:
        yield min(delay, cap)
        delay = min(delay * 2, cap)


class ResilientWorker(Worker):
    """A db_worker Worker whose run() survives connection errors (OperationalError,
    InterfaceError): logged, connections closed, a back-off sleep, then the loop again."""

    def __init__(
        self,
        *,
        retry_first: float = 1.0,
        retry_max: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._sleep = sleep
        self.reconnects = 0

    def run(self) -> None:
        delays = backoff_delays(first=self.retry_first, cap=self.retry_max)
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return  # --batch or --max-tasks ended it, or a signal did
            except CONNECTION_ERRORS as exc:
                if not self.running:
                    return
                # Once the loop has run for longer than the longest wait, the database was
                # back: the next outage starts again from the first, short, wait.
                if time.monotonic() - started > self.retry_max:
                    delays = backoff_delays(first=self.retry_first, cap=self.retry_max)
                delay = next(delays)
                self.reconnects += 1
                logger.warning(
                    "task worker %s lost the database (%s: %s); reconnecting in %.0f s",
                    self.worker_id,
                    type(exc).__name__,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                    delay,
                )
                connections_close_quietly()
                self._sleep(delay)


def connections_close_quietly() -> None:
    """Drop every connection of this thread; closing a dead one may itself raise."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # a dead socket: the connection object is reset all the same
            connection.connection = None
