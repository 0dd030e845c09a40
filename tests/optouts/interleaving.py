"""Deterministic interleavings of two database connections, for the race tests (PostgreSQL).

A race test runs each side in its own thread, so each has its own Django connection and its own
transaction. Side A does its work and stops at a `Gate` before it commits (or, for a send, inside
the provider hand-off); side B starts the competing request; the test then proves from
`pg_locks` that B's backend is waiting for the advisory lock of the number (not for a row lock,
not for the unique index, not finished), opens the gate, and checks that B's answer reflects
what A committed. Nothing sleeps and hopes: every wait is on an event or on `pg_locks`, bounded.

With `VELOCIFY_TEST_LOCKS=off` (tests/optouts/conftest.py turns `phone_numbers_lock` into a
no-op) B never waits on the advisory lock, so `wait_until_blocked_on_number_lock` fails at once
(its message names "the advisory lock of" the number): tests/optouts/test_race_meta.py runs
them so and expects every one to fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.db import connection, transaction

# Generous bounds: they only cost time when a test is failing (a machine under load can take a
# second or more to start a thread's connection, never this long).
WAIT_SECONDS = 20.0
POLL_SECONDS = 0.005
LOCK_PHRASE = "the advisory lock of"  # in every failure message here; the meta-test looks for it


class Gate:
    """A point a worker stops at until the test opens it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._reached = threading.Event()
        self._opened = threading.Event()

    def stop_here(self) -> None:
        """Called by the worker: say it got here, then wait for the test (bounded)."""
        self._reached.set()
        if not self._opened.wait(WAIT_SECONDS * 2):
            raise TimeoutError(f"gate {self.name} was never opened")

    def wait_reached(self) -> None:
        if not self._reached.wait(WAIT_SECONDS):
            pytest.fail(f"the worker never reached gate {self.name}")

    def open(self) -> None:
        self._opened.set()


class Worker:
    """Runs `fn` in its own thread, hence on its own database connection, and keeps its answer."""

    def __init__(self, name: str, fn: Callable[[], Any]) -> None:
        self.name = name
        self._fn = fn
        self.pid: int | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self._connected = threading.Event()
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"race-{name}", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        if not self._connected.wait(WAIT_SECONDS):
            pytest.fail(f"{self.name} did not connect to the database")
        return self

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self._connected.set()
            self.result = self._fn()
        except BaseException as exc:  # handed to the test by join()
            self.error = exc
        finally:
            self._connected.set()
            connection.close()
            self.done.set()

    def join(self) -> Any:
        """Wait for the worker (bounded) and return its answer, re-raising its error."""
        self._thread.join(WAIT_SECONDS)
        if self._thread.is_alive():
            pytest.fail(f"{self.name} is still running after {WAIT_SECONDS:.0f} s")
        if self.error is not None:
            raise self.error
        return self.result


class Interleaving:
    """The workers and gates of one test; `close()` opens every gate and joins every worker, so
    a failing assertion never leaves a connection holding a lock behind."""

    def __init__(self) -> None:
        self._gates: list[Gate] = []
        self._workers: list[Worker] = []

    def gate(self, name: str) -> Gate:
        gate = Gate(name)
        self._gates.append(gate)
        return gate

    def start(self, name: str, fn: Callable[[], Any]) -> Worker:
        worker = Worker(name, fn)
        self._workers.append(worker)
        return worker.start()

    def hold_commit(self, name: str, fn: Callable[[], Any]) -> tuple[Worker, Gate]:
        """Start a worker that runs `fn` inside a transaction and stops before committing.

        Returns once `fn` has run (its locks are held and its writes not yet visible); opening
        the returned gate commits.
        """
        gate = self.gate(f"{name} commit")

        def run() -> Any:
            with transaction.atomic():
                result = fn()
                gate.stop_here()
            return result

        worker = self.start(name, run)
        gate.wait_reached()
        return worker, gate

    def close(self) -> None:
        for gate in self._gates:
            gate.open()
        for worker in self._workers:
            worker._thread.join(WAIT_SECONDS)


def _number_keys(numbers: Iterable[str]) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n, hashtextextended(n, 0) FROM unnest(%s::text[]) AS n", [list(numbers)]
        )
        return {key: number for number, key in cursor.fetchall()}


# An advisory lock on a bigint key shows in pg_locks as classid (high 32 bits), objid (low 32
# bits) and objsubid 1.
_LOCKS_OF_PID = """
    SELECT locktype, mode, granted,
           CASE WHEN locktype = 'advisory' AND objsubid = 1
                THEN (classid::bigint << 32) | objid::bigint END AS key
    FROM pg_locks WHERE pid = %s
"""


def _locks_of(pid: int) -> list[tuple[str, str, bool, int | None]]:
    with connection.cursor() as cursor:
        cursor.execute(_LOCKS_OF_PID, [pid])
        return cursor.fetchall()


def _keep_polling(worker: Worker, deadline: float, what: str) -> None:
    """Sleep one poll, or fail if `worker` finished or the deadline passed without waiting."""
    if worker.done.is_set():
        outcome = f"raised {worker.error!r}" if worker.error else f"answered {worker.result!r}"
        pytest.fail(f"{worker.name} never waited {what}: {outcome}")
    if time.monotonic() > deadline:
        pytest.fail(f"{worker.name} did not wait {what} in time")
    time.sleep(POLL_SECONDS)


def wait_until_blocked_on_number_lock(worker: Worker, numbers: Iterable[str] | str) -> str:
    """Return once `worker`'s backend waits for the advisory lock of one of `numbers`.

    Fails as soon as the worker has finished, or waits for any other lock (a row, the unique
    index of the list, a transaction id): then something other than phone_numbers_lock is what
    serialised it. Returns the number whose lock it waits for.
    """
    keys = _number_keys([numbers] if isinstance(numbers, str) else numbers)
    wanted = ", ".join(sorted(keys.values()))
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        waiting = [lock for lock in _locks_of(worker.pid) if not lock[2]]
        for locktype, _mode, _granted, key in waiting:
            if locktype == "advisory" and key in keys:
                return keys[key]
        if waiting:
            kinds = ", ".join(f"{locktype} {mode}" for locktype, mode, _, _ in waiting)
            pytest.fail(f"{worker.name} waits for {kinds}, not for {LOCK_PHRASE} {wanted}")
        _keep_polling(worker, deadline, f"for {LOCK_PHRASE} {wanted}")


def wait_until_blocked_in(worker: Worker, statement: str) -> None:
    """Return once `worker`'s backend waits for a lock (a row, a transaction id) inside a
    statement starting with `statement`; fail if it finishes first or waits in another one."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = %s", [worker.pid]
            )
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            if not row[1].lstrip().startswith(statement):
                pytest.fail(f"{worker.name} waits in {row[1][:120]!r}, not in {statement!r}")
            return
        _keep_polling(worker, deadline, f"in {statement!r}")


def assert_holds_number_lock(worker: Worker, number: str, *, shared: bool) -> None:
    """`worker`'s backend holds the advisory lock of `number`, shared or exclusive."""
    (key,) = _number_keys([number])
    mode = "ShareLock" if shared else "ExclusiveLock"
    held = [lock for lock in _locks_of(worker.pid) if lock[0] == "advisory" and lock[3] == key]
    assert [(m, g) for _, m, g, _ in held] == [(mode, True)], (
        f"{worker.name} does not hold {LOCK_PHRASE} {number} ({mode}): {held}"
    )
