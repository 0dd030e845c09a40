"""An import's batches written on two database connections at once, committed strictly in order.

Measured on PostgreSQL (docs/benchmarks.md), a batch's wall time is the writer's Python and its
PostgreSQL backend taking turns: while the backend indexes batch N's rows and checks its foreign
keys at commit, the writer waits, and while the writer formats batch N+1, the backend idles.
Two lanes (a thread and a connection each) let batch N+1 write its leads and phones while batch
N applies its opt-outs and commits; psycopg releases the GIL while it waits on the server.

What keeps it the same import as one batch after another:

- `work(item, wait_previous)` runs one batch in one transaction on its lane's connection, and
  calls `wait_previous()` before anything whose order matters (consent locks, opt-outs and their
  chained events, the job's progress row). It returns once the previous batch has committed and
  raises PreviousBatchFailed if it did not, so batch N+1 never commits before batch N, and a
  batch after a failed one rolls back: a resume starts after the last committed batch, as before.
- Two consecutive batches that share a key (`independent` says no: an external id, a number or
  an email, which the later batch must find as the lead the earlier one made or changed) do not
  overlap: the later one starts once the earlier one has committed.
- At most two batches are in flight, so memory stays at about two batches.

Waiting is one way only (a batch waits for the one before it, never after), and the batch in
front never waits on a row lock the one behind holds: a batch takes its leads' row locks only
once the batch before it has taken its own (`turn.wait_locks()`, then `turn.locks_taken()`).
Two batches with no key in common can still lock the same stored lead (one row names it by a
number, the other by its email); the one behind then waits for that row until the one in front
commits, as one batch after another would, and never holds a row the one in front needs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from threading import Event
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
R = TypeVar("R")

LANES = 2


class PreviousBatchFailed(RuntimeError):
    """The batch before this one did not commit; this one rolls back, and that error is raised."""


class Turn:
    """A batch's place in line. Called, it waits for the batch before to commit (and raises
    PreviousBatchFailed if it did not); `wait_locks()` waits for that batch to have taken its
    row locks, and `locks_taken()` says this one has taken its own."""

    def __init__(self, previous: Future | None = None, previous_locked: Event | None = None):
        self._previous = previous
        self._previous_locked = previous_locked
        self.locked = Event()

    def __call__(self) -> None:
        if self._previous is None:
            return
        try:
            self._previous.result()
        except BaseException as exc:
            raise PreviousBatchFailed("The batch before this one did not commit.") from exc

    def wait_locks(self) -> None:
        if self._previous_locked is not None:
            self._previous_locked.wait()

    def locks_taken(self) -> None:
        self.locked.set()


def _run(work: Callable[[T, Turn], R], item: T, turn: Turn) -> R:
    try:
        return work(item, turn)
    finally:
        # A batch that failed, or never took a lock, must not hold the one behind at its locks.
        turn.locks_taken()


def in_order(
    *,
    items: Iterable[T],
    work: Callable[[T, Turn], R],
    overlap: bool,
    independent: Callable[[T, T], bool],
) -> Iterator[R]:
    """Each item's `work` result, in the order of `items`, once its transaction has committed.

    Without `overlap` (SQLite, or a caller already inside a transaction, whose uncommitted rows
    another connection could not see) every item runs here, one after another. An error of
    `items` (the reader's) or of a batch is raised after every earlier batch has committed and
    been yielded; the batch behind a failed one rolls back.
    """
    if not overlap:
        for item in items:
            yield work(item, Turn())
        return
    lanes = [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-lane-{n}")
        for n in range(LANES)
    ]
    in_flight: deque[tuple[T, Future, Turn]] = deque()
    iterator = iter(items)
    lane = 0
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except BaseException:
                # The reader failed: the batches before it still commit and count.
                while in_flight:
                    yield in_flight.popleft()[1].result()
                raise
            if len(in_flight) == LANES:
                yield in_flight.popleft()[1].result()
            if in_flight and not independent(in_flight[-1][0], item):
                while in_flight:
                    yield in_flight.popleft()[1].result()
            _, previous, previous_turn = in_flight[-1] if in_flight else (None, None, None)
            place = Turn(previous, previous_turn.locked if previous_turn else None)
            future = lanes[lane].submit(_run, work, item, place)
            lane = (lane + 1) % LANES
            in_flight.append((item, future, place))
        while in_flight:
            yield in_flight.popleft()[1].result()
    finally:
        # After an error (or a caller that stopped early): let the batch still running end (it
        # rolls back at its wait if the one before failed), then close each lane's connection
        # in its own thread, the only place Django lets it be closed.
        for _, future, _ in in_flight:
            with suppress(BaseException):  # the first error is the one being raised
                future.result()
        for lane in lanes:
            lane.submit(connections.close_all).result()
            lane.shutdown()
