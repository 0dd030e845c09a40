"""The evidence chain: every consent event gets a `chain_hash` (optouts/evidence/chain.py).

1. `chain_hash` is added with a database default of "", so a process still running the previous
   release keeps inserting events during the deploy (its events are sealed later: below).
2. On PostgreSQL the append-only trigger of 0004 learns one exception: an UPDATE that only sets
   an empty `chain_hash` to a 64-hex digest, every other column unchanged (compared as whole
   rows, so a column added later is covered too). That is how an event is *sealed*; any other
   UPDATE, and every DELETE, is still refused. Sealing cannot rewrite a hash once set.
3. Every existing event is sealed, number by number in id order, from the seed (the same code
   the services and `manage.py sms_evidence_seal` use). The trigger stays on throughout.
4. A partial index on the events still unsealed, built after the backfill (so it starts empty).
"""

from django.db import migrations, models

from optouts.evidence.chain import CANONICAL_FIELDS, chain_seal

SEAL_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION optouts_consentevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Sealing: an empty chain hash may be set once, and nothing else about the row may change.
    IF TG_OP = 'UPDATE' AND OLD.chain_hash = '' AND NEW.chain_hash ~ '^[0-9a-f]{64}$'
       AND (to_jsonb(NEW) - 'chain_hash') = (to_jsonb(OLD) - 'chain_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Consent events are append-only: % of optouts_consentevent id % refused.',
        TG_OP, OLD.id
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
"""

# The function as 0004 made it, for migrating back.
APPEND_ONLY_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION optouts_consentevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Consent events are append-only: % of optouts_consentevent id % refused.',
        TG_OP, OLD.id
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
"""

BATCH = 5000


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no client-side merge of the % signs

    return run


def events_seal(apps, schema_editor):
    """Seal every event: one pass over the table in (phone_number, id) order."""
    event_model = apps.get_model("optouts", "ConsentEvent")
    connection = schema_editor.connection
    rows = (
        event_model.objects.using(connection.alias)
        .order_by("phone_number", "id")
        .values_list(*CANONICAL_FIELDS, "chain_hash")
        .iterator(chunk_size=BATCH)
    )
    ordered = ((dict(zip(CANONICAL_FIELDS, row[:-1])), row[-1]) for row in rows)
    table = connection.ops.quote_name(event_model._meta.db_table)
    sql = f"UPDATE {table} SET chain_hash = %s WHERE id = %s AND chain_hash = ''"
    pending = []
    with connection.cursor() as cursor:
        for pk, digest in chain_seal(ordered):
            pending.append((digest, pk))
            if len(pending) >= BATCH:
                cursor.executemany(sql, pending)
                pending = []
        if pending:
            cursor.executemany(sql, pending)


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0006_send_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentevent",
            name="chain_hash",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=64,
                verbose_name="chain hash",
            ),
        ),
        migrations.RunPython(
            _on_postgresql(SEAL_TRIGGER_SQL),
            reverse_code=_on_postgresql(APPEND_ONLY_TRIGGER_SQL),
        ),
        migrations.RunPython(events_seal, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="consentevent",
            index=models.Index(
                condition=models.Q(("chain_hash", "")),
                fields=["phone_number", "id"],
                name="event_unsealed_idx",
            ),
        ),
    ]
