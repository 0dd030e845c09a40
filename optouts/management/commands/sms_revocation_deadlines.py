"""python manage.py sms_revocation_deadlines [--every SECONDS]

Applies every possible opt-out nobody decided by its revocation deadline as the contact's opt-out
(optouts.messaging.services.possible_opt_outs_apply_overdue). Once, or with --every, again and
again until stopped (SIGTERM or Ctrl-C end it between sweeps). Several may run at once, on
several machines: each item is applied once.

Why a command and not a django-tasks task: django-tasks has no periodic schedule, and a task
enqueued per item for its deadline would keep the deadline it was given when the item arrived
(a setting made shorter later would not reach it) and cannot run later at all with the
immediate backend. The scheduler (`sms_scheduler`, which `make run` starts) runs one sweep a
minute; `--every` keeps a loop of its own.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from optouts.messaging.services import possible_opt_outs_apply_overdue


class Command(BaseCommand):
    help = "Apply possible opt-outs not decided by their revocation deadline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="sweep again every SECONDS until stopped (default: sweep once)",
        )

    def handle(self, *args, every=0, **options):
        if every < 0:
            raise CommandError("--every takes a number of seconds (0: sweep once).", returncode=2)
        if not every:
            self._sweep()
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Applying overdue possible opt-outs every {every} s.")
        try:
            while not stop.is_set():
                close_old_connections()
                self._sweep(quiet=True)
                stop.wait(every)
        except KeyboardInterrupt:
            pass

    def _sweep(self, *, quiet: bool = False) -> None:
        sweep = possible_opt_outs_apply_overdue()
        if quiet and not (sweep.applied or sweep.superseded or sweep.failed):
            return
        self.stdout.write(
            f"Opted out at the deadline: {len(sweep.applied)}; dismissed (a start word came "
            f"later): {len(sweep.superseded)}; failed (left open): {len(sweep.failed)}."
        )
        if sweep.failed:
            ids = ", ".join(str(i) for i in sweep.failed)
            self.stderr.write(f"Not applied, see the log: possible opt-outs {ids}.")
