"""A small process supervisor for development (`make run`): restarts what dies, with back-off.

Production uses systemd (docs/operations.md); this keeps `make run` honest about the same
promise: a task worker or scheduler that crashes comes back by itself. Children run in their
own session, so the terminal's Ctrl-C reaches only the supervisor, which stops them (TERM, then
KILL after a grace period) before it exits; otherwise a child that handles SIGINT itself could
exit cleanly first and be restarted.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Program:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    restart_at: float = 0.0
    delay: float = 0.0
    starts: int = 0
    exits: list[int] = field(default_factory=list)


class Supervisor:
    """Keep `programs` running until `stop` is set.

    A program that exits (whatever its status) is started again after a delay that doubles
    from `first` up to `cap`; one that ran for longer than `cap` before it died starts again
    after `first`.
    """

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        first: float = 1.0,
        cap: float = 30.0,
        grace: float = 10.0,
        poll: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.programs = list(programs)
        self.first, self.cap, self.grace, self.poll = first, cap, grace, poll
        self.clock = clock

    def run(self, stop: threading.Event) -> None:
        try:
            for program in self.programs:
                self._start(program)
            while not stop.wait(self.poll):
                for program in self.programs:
                    self._tend(program)
        finally:
            self._stop_all()

    def _start(self, program: Program) -> None:
        # The argv comes from the code (sms_supervise), never from a request.
        program.process = subprocess.Popen(list(program.argv), start_new_session=True)  # noqa: S603
        program.started = self.clock()
        program.starts += 1
        logger.info("started %s (pid %s)", program.name, program.process.pid)

    def _tend(self, program: Program) -> None:
        if program.process is None:
            if self.clock() >= program.restart_at:
                self._start(program)
            return
        code = program.process.poll()
        if code is None:
            return
        program.exits.append(code)
        ran = self.clock() - program.started
        if ran > self.cap:
            program.delay = self.first
        else:
            program.delay = min(self.cap, program.delay * 2 if program.delay else self.first)
        program.process = None
        program.restart_at = self.clock() + program.delay
        logger.warning(
            "%s exited with status %s after %.0f s; restarting in %.0f s",
            program.name,
            code,
            ran,
            program.delay,
        )

    def _stop_all(self) -> None:
        running = [p.process for p in self.programs if p.process and p.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = self.clock() + self.grace
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in %.0f s: killed", process.pid, self.grace)
                process.kill()
                process.wait()
