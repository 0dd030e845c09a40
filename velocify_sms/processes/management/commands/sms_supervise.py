"""python manage.py sms_supervise [worker] [scheduler]

Starts the task worker (`sms_worker`, or `rqworker` with TASKS_BACKEND=rq) and the scheduler
(`sms_scheduler`) and restarts either when it exits, with back-off (1 s doubling to 30 s).
SIGTERM or Ctrl-C stop them and then the supervisor. For `make run`; production runs each under
systemd (docs/operations.md).
"""

from __future__ import annotations

import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from velocify_sms.processes.supervisor import Program, Supervisor

CHOICES = ("worker", "scheduler")


def program_argv(name: str) -> list[str]:
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    if name == "scheduler":
        return [*manage, "sms_scheduler"]
    if settings.TASKS_BACKEND == "rq":
        return [
            *manage,
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            "--with-scheduler",
        ]
    return [*manage, "sms_worker", "--no-reload", "--interval", "1"]


class Command(BaseCommand):
    help = "Run the task worker and the scheduler, restarting either when it exits."

    def add_arguments(self, parser):
        parser.add_argument("programs", nargs="*", metavar="worker|scheduler", help="default: both")

    def handle(self, *args, programs, **options):
        unknown = sorted(set(programs) - set(CHOICES))
        if unknown:
            raise CommandError(f"Unknown program {', '.join(unknown)}: worker or scheduler.")
        names = list(dict.fromkeys(programs)) or list(CHOICES)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        Supervisor([Program(name=name, argv=program_argv(name)) for name in names]).run(stop)
