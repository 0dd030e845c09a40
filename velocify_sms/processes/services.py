"""Writes of the background processes: their heartbeats."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from velocify_sms.processes.models import ProcessHeartbeat

logger = logging.getLogger(__name__)

# A row older than this belongs to a process that was killed long ago (its replacement beats
# under another name): it is forgotten so it cannot hold /readyz at 503 for ever.
FORGET_AFTER = timedelta(days=1)


def process_name_default(*, kind: str) -> str:
    """`kind:host:pid`: unique among the processes running at one time."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"[:200]


def process_heartbeat_write(*, name: str, kind: str, now: datetime | None = None) -> None:
    """Record that process `name` is alive now (creating its row on the first beat)."""
    now = now or timezone.now()
    updated = ProcessHeartbeat.objects.filter(name=name).update(beat_at=now)
    if not updated:
        ProcessHeartbeat.objects.update_or_create(
            name=name, defaults={"kind": kind, "started_at": now, "beat_at": now}
        )
        ProcessHeartbeat.objects.filter(kind=kind, beat_at__lt=now - FORGET_AFTER).delete()


def process_heartbeat_delete(*, name: str) -> None:
    """Forget process `name` (it is stopping cleanly, so its silence is no outage)."""
    ProcessHeartbeat.objects.filter(name=name).delete()


class Heartbeat:
    """A daemon thread that writes `name`'s heartbeat every PROCESS_HEARTBEAT_SECONDS.

    A thread, not the process's main loop, so a task that runs for an hour (a big lead import)
    does not look like a dead worker. It uses its own database connection (Django's are per
    thread); a failed write is logged once per outage and retried at the next beat.
    """

    def __init__(self, *, kind: str, name: str | None = None, every: float | None = None):
        self.kind = kind
        self.name = name or process_name_default(kind=kind)
        self.every = every if every is not None else settings.PROCESS_HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{kind}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)
        try:
            process_heartbeat_delete(name=self.name)
        except DatabaseError as exc:
            logger.warning("could not remove the heartbeat of %s: %s", self.name, exc)
        finally:
            connections.close_all()

    def _run(self) -> None:
        failing = False
        try:
            while not self._stop.is_set():
                close_old_connections()
                try:
                    process_heartbeat_write(name=self.name, kind=self.kind)
                except DatabaseError as exc:
                    if not failing:
                        logger.warning("heartbeat of %s not written: %s", self.name, exc)
                    failing = True
                    connections.close_all()
                else:
                    if failing:
                        logger.info("heartbeat of %s written again", self.name)
                    failing = False
                self._stop.wait(self.every)
        finally:
            connections.close_all()
