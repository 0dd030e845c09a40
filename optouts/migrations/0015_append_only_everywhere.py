"""Consent events are append-only below the app on every database, TRUNCATE included.

1. PostgreSQL: a statement trigger refuses TRUNCATE of optouts_consentevent (0004's row trigger
   already refuses UPDATE, except sealing an empty chain hash since 0007, and DELETE). Only a
   superuser (session_replication_role) or the table's owner (DISABLE TRIGGER) gets past it;
   the app's role is neither in production (docs/operations.md, "Database roles").
2. SQLite: BEFORE UPDATE and BEFORE DELETE triggers raising ABORT, with the same one exception
   as PostgreSQL: setting an empty chain hash to 64 lowercase hex digits, every other column
   unchanged (listed here; tests/optouts/test_history_immutable.py keeps the list equal to the
   model's columns). SQLite has no TRUNCATE: `DELETE FROM` without WHERE fires the trigger too.

The SQL is written out here, not imported, so this migration keeps meaning what it meant.
"""

from django.db import migrations

PG_TRUNCATE_SQL = """
CREATE FUNCTION optouts_consentevent_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Consent events are append-only: TRUNCATE of optouts_consentevent refused.'
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
CREATE TRIGGER optouts_consentevent_no_truncate
    BEFORE TRUNCATE ON optouts_consentevent
    FOR EACH STATEMENT EXECUTE FUNCTION optouts_consentevent_no_truncate();
"""

PG_DROP_SQL = """
DROP TRIGGER IF EXISTS optouts_consentevent_no_truncate ON optouts_consentevent;
DROP FUNCTION IF EXISTS optouts_consentevent_no_truncate();
"""

# Every column but chain_hash, which sealing may set once.
SEALED_COLUMNS = (
    "id",
    "phone_number",
    "action",
    "source",
    "previous_source",
    "channel",
    "actor_id",
    "actor_label",
    "lead_id",
    "lead_label",
    "created_at",
    "details",
)
_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SEALED_COLUMNS)

SQLITE_SQL = [
    f"""
CREATE TRIGGER optouts_consentevent_no_update
BEFORE UPDATE ON optouts_consentevent
WHEN NOT (
    OLD.chain_hash = '' AND length(NEW.chain_hash) = 64
    AND NEW.chain_hash NOT GLOB '*[^0-9a-f]*' AND {_UNCHANGED}
)
BEGIN
    SELECT RAISE(ABORT, 'Consent events are append-only: UPDATE of optouts_consentevent refused.');
END
""",
    """
CREATE TRIGGER optouts_consentevent_no_delete
BEFORE DELETE ON optouts_consentevent
BEGIN
    SELECT RAISE(ABORT, 'Consent events are append-only: DELETE of optouts_consentevent refused.');
END
""",
]

SQLITE_DROP_SQL = [
    "DROP TRIGGER IF EXISTS optouts_consentevent_no_update",
    "DROP TRIGGER IF EXISTS optouts_consentevent_no_delete",
]


def _run(pg, sqlite):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        statements = {"postgresql": [pg], "sqlite": sqlite}.get(vendor, [])
        for sql in statements:
            schema_editor.execute(sql, params=None)  # no client-side merge of the % signs

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0014_inbound_intent"),
    ]

    operations = [
        migrations.RunPython(
            _run(PG_TRUNCATE_SQL, SQLITE_SQL), reverse_code=_run(PG_DROP_SQL, SQLITE_DROP_SQL)
        ),
    ]
