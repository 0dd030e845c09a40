"""python manage.py sms_worker [db_worker's options] [--retry-max SECONDS]

django-tasks-db's `db_worker`, with two additions for running unattended: a lost database
(PostgreSQL restarted, a fail-over, a killed connection) is waited out with capped exponential
back-off instead of ending the process (velocify_sms.processes.worker), and the worker writes a
heartbeat that `/readyz` reads (PROCESS_HEARTBEAT_SECONDS, PROCESS_HEARTBEAT_STALE_SECONDS).
For TASKS_BACKEND=database only; an RQ deployment runs `rqworker`.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from velocify_sms.processes.models import ProcessKind
from velocify_sms.processes.services import Heartbeat
from velocify_sms.processes.worker import ResilientWorker


class Command(db_worker.Command):
    help = "Run the database task worker; it waits out database outages and writes a heartbeat."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--retry-max",
            type=float,
            default=settings.WORKER_RETRY_MAX_SECONDS,
            metavar="SECONDS",
            help="longest wait between reconnection attempts (default: WORKER_RETRY_MAX_SECONDS)",
        )

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, retry_max, **options):
        self.configure_logging(verbosity)
        if exclude_queues and "*" not in queue_name.split(","):
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_name.split(","),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            retry_max=retry_max,
        )
        if reload and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(lambda: self._run(worker))
            return
        worker.configure_signals()
        self._run(worker)

    def _run(self, worker: ResilientWorker) -> None:
        with Heartbeat(kind=ProcessKind.WORKER):
            worker.run()
