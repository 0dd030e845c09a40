"""python manage.py sms_scheduler [--once]

Runs every periodic job of SCHEDULER_JOBS at its interval (docs/operations.md, "Periodic
jobs"): the revocation deadline sweep, the pickup of stalled lead imports, the evidence anchor
when that command is installed, the admins' daily digest of possible opt-outs. Each job's last
start is kept in the database, so a restarted scheduler waits out the rest of its interval. One
failing job is logged and never stops the others. Writes a heartbeat that `/readyz` reads.
SIGTERM or Ctrl-C end it between two runs. `--once` runs each job once and exits (a cron line,
a check after a deploy).
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from velocify_sms.processes.models import ProcessKind
from velocify_sms.processes.scheduler import (
    scheduled_job_run,
    scheduled_jobs_waits,
    scheduler_jobs,
    scheduler_loop,
)
from velocify_sms.processes.services import Heartbeat


class Command(BaseCommand):
    help = "Run the periodic jobs (SCHEDULER_JOBS), each at its interval."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run each job once, then exit")

    def handle(self, *args, once=False, **options):
        jobs = scheduler_jobs()
        if once:
            failed = [job.name for job in jobs if not scheduled_job_run(job=job)]
            if failed:
                raise CommandError(f"Failed: {', '.join(failed)} (see the log).", returncode=1)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        listed = ", ".join(f"{job.name} every {job.every:g} s" for job in jobs) or "none"
        self.stdout.write(f"Scheduler started: {listed}.")
        with Heartbeat(kind=ProcessKind.SCHEDULER):
            scheduler_loop(jobs=jobs, stop=stop, waits=scheduled_jobs_waits(jobs=jobs))
        self.stdout.write("Scheduler stopped.")
