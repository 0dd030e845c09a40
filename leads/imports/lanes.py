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
- Two consecutive batches that share a key (`independent` says no: an external id, which the
  later batch must find as the lead the earlier one made) do not overlap: the later one starts
  once the earlier one has committed.
- At most two batches are in flight, so memory stays at about two batches.

Waiting is one way only (a batch waits for the one before it, never after), and the batch in
front never waits on a row lock the one behind holds: the one behind takes only its own leads'
rows before it waits (disjoint by the key check), so the two cannot deadlock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
R = TypeVar("R")

LANES = 2


class PreviousBatchFailed(RuntimeError):
    """The batch before this one did not commit; this one rolls back, and that error is raised."""


def _no_wait() -> None:
    return None


def _waiter(previous: Future | None) -> Callable[[], None]:
    if previous is None:
        return _no_wait

    def wait_previous() -> None:
        try:
            previous.result()
        except BaseException as exc:
            raise PreviousBatchFailed("The batch before this one did not commit.") from exc

    return wait_previous


def in_order(
    *,
    items: Iterable[T],
    work: Callable[[T, Callable[[], None]], R],
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
            yield work(item, _no_wait)
        return
    lanes = [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-lane-{n}")
        for n in range(LANES)
    ]
    in_flight: deque[tuple[T, Future]] = deque()
    iterator = iter(items)
    turn = 0
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
            previous = in_flight[-1][1] if in_flight else None
            future = lanes[turn].submit(work, item, _waiter(previous))
            turn = (turn + 1) % LANES
            in_flight.append((item, future))
        while in_flight:
            yield in_flight.popleft()[1].result()
    finally:
        # After an error (or a caller that stopped early): let the batch still running end (it
        # rolls back at its wait if the one before failed), then close each lane's connection
        # in its own thread, the only place Django lets it be closed.
        for _, future in in_flight:
            with suppress(BaseException):  # the first error is the one being raised
                future.result()
        for lane in lanes:
            lane.submit(connections.close_all).result()
            lane.shutdown()
