"""What the app's database role may do to the consent tables (PostgreSQL).

Production runs the app as a role that owns no table, and migrates as the owner
(DATABASE_OWNER_URL, optouts/management/commands/migrate.py). After each migrate the owner sets
the app role's rights on the consent tables here: it may read and add events and seal an empty
chain hash, never UPDATE, DELETE or TRUNCATE them, and never TRUNCATE the opt-out list. The
triggers refuse the same (migrations 0004, 0007, 0015); a role that cannot disable them, because
it owns nothing, cannot get past them. docs/operations.md, "Database roles".
"""

from __future__ import annotations

from django.db import connection

EVENTS = "optouts_consentevent"
LIST = "optouts_optout"


def consent_privileges_restrict(*, role: str) -> list[str]:
    """Set `role`'s rights on the consent tables; returns the statements run (none off
    PostgreSQL, where roles do not exist)."""
    if connection.vendor != "postgresql":
        return []
    quote = connection.ops.quote_name
    who = quote(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [EVENTS])
        (sequence,) = cursor.fetchone()
    statements = [
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {quote(EVENTS)} FROM {who}",
        f"GRANT SELECT, INSERT ON {quote(EVENTS)} TO {who}",
        # Sealing: filling an empty chain hash once (the trigger refuses anything else).
        f"GRANT UPDATE (chain_hash) ON {quote(EVENTS)} TO {who}",
        f"REVOKE TRUNCATE, TRIGGER ON {quote(LIST)} FROM {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quote(LIST)} TO {who}",
    ]
    if sequence:
        # Event ids are reserved from the sequence before the insert (optouts/evidence/services.py).
        statements.append(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {who}")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return statements
