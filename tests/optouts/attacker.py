"""Someone with the app's database role who edits the consent history below the app: past the
append-only triggers (as the tables' owner could), recomputing every chain hash with the recipe
docs/compliance.md publishes, with json and hashlib only."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.db import connection
from django.utils.dateparse import parse_datetime

from tests.append_only import tamper

FIELDS = (
    "id, phone_number, action, source, previous_source, channel, actor_id, actor_label, "
    "lead_id, lead_label, created_at, details"
)


def _canonical(row: tuple) -> str:
    names = [name.strip() for name in FIELDS.split(",")]
    values = dict(zip(names, row, strict=True))
    created_at = values["created_at"]
    if isinstance(created_at, str):  # SQLite hands back text
        created_at = parse_datetime(created_at).replace(tzinfo=UTC)
    values["created_at"] = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(values["details"], str):
        values["details"] = json.loads(values["details"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rehash(number: str) -> None:
    """Recompute and store every chain hash of `number`, as the documented recipe says."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {FIELDS} FROM optouts_consentevent WHERE phone_number = %s ORDER BY id",  # noqa: S608
            [number],
        )
        rows = cursor.fetchall()
    previous = hashlib.sha256(number.encode()).hexdigest()
    for row in rows:
        previous = hashlib.sha256((previous + _canonical(row)).encode()).hexdigest()
        tamper(
            connection,
            "UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s",
            [previous, row[0]],
        )


def rewrite(sql: str, params: list | tuple = (), *, rehash_number: str | None = None) -> None:
    """Run `sql` past the triggers, then recompute the number's hashes."""
    tamper(connection, sql, params)
    if rehash_number:
        rehash(rehash_number)
