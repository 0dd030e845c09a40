"""The periodic jobs, run from one process (`manage.py sms_scheduler`).

django-tasks has no periodic schedule, so every job that must happen by the clock is a
management command named in SCHEDULER_JOBS with its interval. Each run is on its own: an
exception is logged with its traceback and the other jobs keep their times. The jobs are
commands (not imported functions) so this module, below the apps in the layering, needs none of
them, and each is also runnable by hand.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import DatabaseError, connections
from django.utils import timezone

from velocify_sms.processes.models import ScheduledJobRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    command: tuple[str, ...]  # the command's name, then its arguments
    every: float  # seconds between the starts of two runs


def scheduler_jobs() -> list[ScheduledJob]:
    """The jobs of SCHEDULER_JOBS whose interval is not 0 and whose command is installed."""
    installed = get_commands()
    jobs = []
    for name, spec in settings.SCHEDULER_JOBS.items():
        command = tuple(spec["command"])
        if not spec["every"]:
            logger.info("scheduled job %s is off (interval 0)", name)
        elif command[0] not in installed:
            # The evidence anchor comes with its own release: until then it has nothing to run.
            logger.info("scheduled job %s skipped: no command %s", name, command[0])
        else:
            jobs.append(ScheduledJob(name=name, command=command, every=float(spec["every"])))
    return jobs


def scheduled_jobs_waits(*, jobs: list[ScheduledJob]) -> dict[str, float]:
    """Seconds until each job is due, from its last recorded start (0: never run, or overdue).

    With the database unreachable every job is due now; its run then fails and is logged.
    """
    try:
        last = dict(
            ScheduledJobRun.objects.filter(name__in=[job.name for job in jobs]).values_list(
                "name", "started_at"
            )
        )
    except DatabaseError as exc:
        logger.warning("last runs of the scheduled jobs not read (%s): all are due now", exc)
        return {}
    now = timezone.now()
    return {
        job.name: max(0.0, job.every - (now - last[job.name]).total_seconds())
        for job in jobs
        if job.name in last
    }


def connections_refresh() -> None:
    """Drop connections that broke or outlived DATABASE_CONN_MAX_AGE, as Django does around a
    request; never one inside a transaction (a caller's, or a test's)."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except DatabaseError:  # closing a dead socket failed: the next query opens a new one
            connection.connection = None


def scheduled_job_run(*, job: ScheduledJob) -> bool:
    """Run `job` once; its output is logged. False (and the traceback logged) when it failed."""
    out = io.StringIO()
    connections_refresh()
    started = time.monotonic()
    try:
        ScheduledJobRun.objects.update_or_create(
            name=job.name, defaults={"started_at": timezone.now()}
        )
        call_command(*job.command, stdout=out, stderr=out)
    except (Exception, SystemExit):
        logger.exception("scheduled job %s failed", job.name)
        ok = False
    else:
        ok = True
    finally:
        connections_refresh()
    for line in out.getvalue().splitlines():
        if line.strip():
            logger.info("%s: %s", job.name, line)
    logger.debug("scheduled job %s took %.1f s", job.name, time.monotonic() - started)
    return ok


def scheduler_loop(
    *,
    jobs: list[ScheduledJob],
    stop: threading.Event,
    run: Callable[..., bool] = scheduled_job_run,
    clock: Callable[[], float] = time.monotonic,
    waits: dict[str, float] | None = None,
) -> None:
    """Run each job after its wait (`waits`, default: now), then again `every` seconds after its
    last start, until `stop`.

    One job at a time: a slow run delays the others' next run but skips none of them.
    """
    start = clock()
    due = {job.name: start + (waits or {}).get(job.name, 0.0) for job in jobs}
    while jobs and not stop.is_set():
        for job in jobs:
            if stop.is_set():
                return
            if clock() >= due[job.name]:
                due[job.name] = clock() + job.every
                run(job=job)
        stop.wait(max(0.0, min(due.values()) - clock()))
