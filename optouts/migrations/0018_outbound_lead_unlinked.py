"""An outbound SMS keeps its lead as the consent history does: a plain id and a label snapshot.

1. `lead_label` is added (database default "", so a process still on the previous release keeps
   inserting messages during the deploy).
2. A database migrated by 0001 to 0017 still has the foreign key constraint from
   `optouts_outboundmessage.lead_id` to `leads_lead`. PostgreSQL: it is dropped here (ALTER TABLE
   ... DROP CONSTRAINT). SQLite cannot drop one: adding `lead_label` (step 1) rebuilds the table
   from the model as migrated, which has none. The column, its values and its index stay. A
   database built by the squash never had the constraint: nothing to do.
3. Where the leads table exists, each message's lead is named as it is named today (Lead.__str__
   in SQL: full name, else email, else "Lead #<id>"), in one UPDATE. No dependency on the leads
   app: without its table there is nothing to name.
"""

from django.db import migrations, models

TABLE = "optouts_outboundmessage"

LABELS_FILL_SQL = """
UPDATE optouts_outboundmessage SET lead_label = COALESCE((
    SELECT COALESCE(
        NULLIF(TRIM(l.first_name || ' ' || l.last_name), ''),
        NULLIF(l.email, ''),
        'Lead #' || CAST(l.id AS TEXT)
    )
    FROM leads_lead l WHERE l.id = optouts_outboundmessage.lead_id
), '')
WHERE lead_id IS NOT NULL
"""


def _lead_foreign_keys(connection) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, info in constraints.items()
        if info["foreign_key"] and info["columns"] == ["lead_id"]
    ]


def lead_unlink(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for name in _lead_foreign_keys(connection):
            schema_editor.execute(
                f"ALTER TABLE {TABLE} DROP CONSTRAINT {schema_editor.quote_name(name)}"
            )
    if "leads_lead" in connection.introspection.table_names():
        schema_editor.execute(LABELS_FILL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0001_squashed_0017_sms_list_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="lead_label",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="lead"),
        ),
        migrations.RunPython(lead_unlink, migrations.RunPython.noop),
    ]
