"""The lock's escalation: a big batch holds one global key, a small one a key per number."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from optouts.services.locks import ESCALATE_ABOVE, phone_numbers_lock
from tests.optouts.interleaving import WAIT_SECONDS, Interleaving, _keep_polling

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's"),
]


def _my_advisory_locks() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objsubid, mode FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() ORDER BY objsubid, mode"
        )
        return cursor.fetchall()


def _numbers(count: int) -> list[str]:
    return [f"+1415{n:07d}" for n in range(count)]


def test_a_small_batch_takes_the_global_key_shared_and_one_key_per_number():
    with transaction.atomic():
        phone_numbers_lock(numbers=_numbers(3))
        # objsubid 1: a bigint key (a number); 2: the two-integer global key.
        assert _my_advisory_locks() == [(1, "ExclusiveLock")] * 3 + [(2, "ShareLock")]


def test_a_batch_past_the_threshold_takes_only_the_global_key_in_its_own_mode():
    # One lock instead of thousands: a 100,000-number upload stays one transaction without
    # running PostgreSQL's shared lock table out of room.
    with transaction.atomic():
        phone_numbers_lock(numbers=_numbers(ESCALATE_ABOVE + 1))
        assert _my_advisory_locks() == [(2, "ExclusiveLock")]


@pytest.mark.django_db(transaction=True)
def test_a_small_batch_waits_for_a_big_one_on_the_global_key_holding_no_number_key():
    """Keys are taken in one order, the global key first (the small batch's number keys and the
    global key are one statement): a request queued behind an escalated batch holds nothing that
    batch could wait for."""
    run = Interleaving()
    try:
        run.hold_commit("big", lambda: phone_numbers_lock(numbers=_numbers(ESCALATE_ABOVE + 1)))

        def small():
            with transaction.atomic():
                phone_numbers_lock(numbers=["+12125550100"])

        worker = run.start("small", small)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT objsubid, mode, granted FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = %s",
                    [worker.pid],
                )
                locks = cursor.fetchall()
            if (2, "ShareLock", False) in locks:
                break
            _keep_polling(worker, deadline, "for the global key")
        assert [lock for lock in locks if lock[0] == 1] == []
    finally:
        run.close()
