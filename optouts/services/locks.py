"""The per-number lock that serialises every consent write and every send guard (PostgreSQL).

Writers take it exclusively; the send guard takes it shared, so an opt-out either committed before
the guard looked (and the send is blocked) or waits until the hand-off is over. Keys are taken in
one global order, so two batches never deadlock. SQLite serialises writers anyway.

`_ENABLED` exists for one purpose: the race tests' meta-test (tests/optouts/test_race_meta.py)
turns it off in a child pytest to prove those tests fail without the lock. No setting or
environment variable reaches it.
"""

from __future__ import annotations

from django.db import connection

_ENABLED = True


def phone_numbers_lock(*, numbers: list[str], shared: bool = False) -> None:
    """Serialise work on these E.164 numbers until the current transaction ends (PostgreSQL)."""
    if not _ENABLED or connection.vendor != "postgresql" or not numbers:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count({function}(k)) FROM ("  # noqa: S608 - function name is one of two
            "  SELECT DISTINCT hashtextextended(n, 0) AS k FROM unnest(%s::text[]) AS n ORDER BY k"
            ") AS keys",
            [list(numbers)],
        )
