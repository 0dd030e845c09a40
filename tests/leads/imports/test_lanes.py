"""Two batches in flight on two lanes, committed strictly in order (leads.imports.lanes)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from leads.imports.lanes import PreviousBatchFailed, in_order

WAIT = 5  # seconds: long enough never to fire when the code is right


def always(_earlier, _later) -> bool:
    return True


def test_without_overlap_every_item_runs_here_one_after_another():
    names = []

    def work(item, wait_previous):
        wait_previous()
        names.append(threading.current_thread().name)
        return item * 10

    assert list(in_order(items=[1, 2, 3], work=work, overlap=False, independent=always)) == [
        10,
        20,
        30,
    ]
    assert set(names) == {threading.current_thread().name}


def test_the_next_item_starts_while_the_one_before_is_still_running():
    second_started = threading.Event()

    def work(item, wait_previous):
        if item == 0:
            # Returns only if item 1 starts meanwhile: fails (times out) when items run serially.
            assert second_started.wait(WAIT), "item 1 did not start while item 0 ran"
        else:
            second_started.set()
        wait_previous()
        return item

    assert list(in_order(items=[0, 1], work=work, overlap=True, independent=always)) == [0, 1]


def test_wait_previous_returns_only_once_the_item_before_has_returned():
    done = []

    def work(item, wait_previous):
        if item == 0:
            time.sleep(0.2)
        wait_previous()
        done.append(item)
        return item

    assert list(in_order(items=range(6), work=work, overlap=True, independent=always)) == list(
        range(6)
    )
    assert done == list(range(6))


def test_results_come_in_order_and_at_most_two_items_are_in_flight():
    lock = threading.Lock()
    running = {"now": 0, "most": 0}

    def work(item, wait_previous):
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep(0.02 * (item % 3))
        wait_previous()
        with lock:
            running["now"] -= 1
        return item

    assert list(in_order(items=range(10), work=work, overlap=True, independent=always)) == list(
        range(10)
    )
    assert running["most"] == 2


def test_an_item_takes_its_locks_only_after_the_one_before_has_taken_its_own():
    events = []

    def work(item, turn):
        if item == 0:
            time.sleep(0.2)
        turn.wait_locks()
        events.append(("locks", item))
        turn.locks_taken()
        turn()
        return item

    assert list(in_order(items=range(4), work=work, overlap=True, independent=always)) == list(
        range(4)
    )
    assert events == [("locks", n) for n in range(4)]


def test_an_item_that_fails_before_its_locks_does_not_hold_the_one_behind_at_its_locks():
    behind = {}

    def work(item, turn):
        if item == 0:
            raise ValueError("bad batch")
        waiting = threading.Thread(target=turn.wait_locks, daemon=True)
        waiting.start()
        waiting.join(WAIT)
        behind["held"] = waiting.is_alive()
        turn()

    with pytest.raises(ValueError, match="bad batch"):
        list(in_order(items=range(2), work=work, overlap=True, independent=always))
    assert behind == {"held": False}


def test_an_item_that_depends_on_the_one_before_starts_after_it_returned():
    finished, started = {}, {}

    def work(item, wait_previous):
        started[item] = time.monotonic()
        if item == 0:
            time.sleep(0.2)
        wait_previous()
        finished[item] = time.monotonic()
        return item

    def independent(earlier, later) -> bool:
        return later != 1  # item 1 shares a key with item 0

    assert list(in_order(items=[0, 1, 2], work=work, overlap=True, independent=independent)) == [
        0,
        1,
        2,
    ]
    assert started[1] >= finished[0]


def test_a_failed_item_rolls_back_the_one_behind_and_is_raised_after_the_earlier_results():
    outcome = {}
    results = []

    def work(item, wait_previous):
        if item == 1:
            time.sleep(0.1)
            raise SystemExit("worker killed")
        try:
            wait_previous()
        except PreviousBatchFailed as exc:
            outcome[item] = exc
            raise
        return item

    with pytest.raises(SystemExit, match="worker killed"):
        for result in in_order(items=range(5), work=work, overlap=True, independent=always):
            results.append(result)
    assert results == [0]
    # Item 2 was in flight: it learnt at its wait that item 1 never committed, and stopped there.
    assert isinstance(outcome[2], PreviousBatchFailed)
    assert 3 not in outcome and 4 not in outcome


def test_an_error_of_the_items_comes_after_the_results_of_the_items_before_it():
    def items():
        yield 0
        yield 1
        raise ValueError("bad byte on row 12")

    results = []
    with pytest.raises(ValueError, match="bad byte"):
        for result in in_order(
            items=items(),
            work=lambda item, wait: (wait(), item)[1],
            overlap=True,
            independent=always,
        ):
            results.append(result)
    assert results == [0, 1]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="lanes run on PostgreSQL only; Django never closes SQLite's in-memory test database",
)
@pytest.mark.django_db(transaction=True)
def test_each_lane_closes_its_database_connection_at_the_end():
    used = []

    def work(item, wait_previous):
        lane_connection = connections[DEFAULT_DB_ALIAS]  # this thread's own
        with lane_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(lane_connection)
        wait_previous()
        return item

    list(in_order(items=range(4), work=work, overlap=True, independent=always))
    lanes = {id(conn): conn for conn in used}
    assert len(lanes) == 2
    assert all(conn.connection is None for conn in lanes.values())
