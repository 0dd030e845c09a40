"""The append-only triggers of the consent events, switched off inside a test's own transaction.

Two users: the tamper tests, which play someone who edits the history below the app (as the
table's owner on PostgreSQL, or with the SQLite file), and the flush that ends each transactional
test (TRUNCATE on PostgreSQL, DELETE on SQLite), which the triggers refuse like any other.
Everything happens in the caller's transaction, so a rollback brings the triggers back too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

EVENTS = "optouts_consentevent"


def triggers_off_sql(connection) -> tuple[list[str], list[str]]:
    """(statements that switch the triggers off, statements that switch them back on)."""
    if connection.vendor == "postgresql":
        # A superuser's switch (the tests connect as one); the app's role in production is not.
        return ["SET LOCAL session_replication_role = replica"], [
            "SET LOCAL session_replication_role = origin"
        ]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [EVENTS],
            )
            found = cursor.fetchall()
        return [f'DROP TRIGGER "{name}"' for name, _ in found], [sql for _, sql in found]
    return [], []


@contextmanager
def triggers_off(connection) -> Iterator[None]:
    """Inside a transaction: the triggers off for the block, back on after it."""
    off, on = triggers_off_sql(connection)
    with connection.cursor() as cursor:
        for sql in off:
            cursor.execute(sql)
        try:
            yield
        finally:
            for sql in on:
                cursor.execute(sql)


def tamper(connection, sql: str, params: list | tuple = ()) -> None:
    """Run `sql` on the history below the app, past the triggers."""
    with triggers_off(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)
