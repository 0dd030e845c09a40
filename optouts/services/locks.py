"""The per-number lock that serialises every consent write and every send guard (PostgreSQL).

Writers take it exclusively; the send guard takes it shared, so an opt-out either committed before
the guard looked (and the send is blocked) or waits until the hand-off is over. Keys are taken in
one global order, so two batches never deadlock. SQLite serialises writers anyway.

Escalation: a transaction holds its advisory locks until it ends, and PostgreSQL's lock table has
room for about 6,400 in all (64 per connection by default), so one lock per number cannot cover a
100,000-number upload ("out of shared memory"). Every caller therefore first takes one global key
in shared mode, and a batch of more than ESCALATE_ABOVE numbers takes that global key in the
caller's own mode instead of one key per number: an exclusive big batch waits for every in-flight
request and holds off new ones (PostgreSQL queues them behind it), which keeps it one transaction,
all or nothing.

`_ENABLED` exists for one purpose: the race tests' meta-test (tests/optouts/test_race_meta.py)
turns it off in a child pytest to prove those tests fail without the lock. No setting or
environment variable reaches it.
"""

from __future__ import annotations

from django.db import connection

from velocify_sms.db_arrays import array_param

_ENABLED = True

ESCALATE_ABOVE = 1000
# The two-integer key space is apart from the per-number bigint keys (hashtextextended).
_GLOBAL_KEY = (0x56534D53, 0)  # "VSMS"


def phone_numbers_lock(*, numbers: list[str], shared: bool = False) -> None:
    """Serialise work on these E.164 numbers until the current transaction ends (PostgreSQL)."""
    if not _ENABLED or connection.vendor != "postgresql" or not numbers:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        if len(numbers) > ESCALATE_ABOVE:
            cursor.execute(f"SELECT {function}(%s, %s)", list(_GLOBAL_KEY))  # noqa: S608
            return
        # One statement, the global key first: the numbers' keys are taken by the outer count(),
        # over the sorted keys, and no sorted key comes out before the join has read every input
        # row, so before the subquery `g` has taken the global key (a send guard, or every API
        # opt-out, paid a round trip for it on its own).
        cursor.execute(
            f"SELECT count({function}(k)) FROM ("  # noqa: S608 - function name is one of two
            "  SELECT DISTINCT hashtextextended(n, 0) AS k"
            "  FROM (SELECT pg_advisory_xact_lock_shared(%s, %s)) AS g, unnest(%s::text[]) AS n"
            "  ORDER BY k"
            ") AS keys",
            [*_GLOBAL_KEY, array_param(numbers)],
        )
