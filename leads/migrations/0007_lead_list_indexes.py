"""Indexes for the lead list at millions of leads (leads/changelist.py).

- lead_newest_first_idx: the default order, `created_at DESC, id DESC`, and its cursor pages;
- lead_status_newest_idx: the status filter in that order;
- on PostgreSQL only, trigram indexes (pg_trgm) for the search's "contains" on name, email and
  company: the admin's search runs `UPPER(column::text) LIKE UPPER('%word%')`, which no b-tree
  can serve. They are indexes on exactly that expression. SQLite has no pg_trgm: nothing is done
  there (a development list is scanned in no time).
"""

from django.db import migrations, models

TRIGRAM_COLUMNS = ("first_name", "last_name", "email", "company")


def _trigram_index(column: str) -> str:
    return f"lead_{column}_trgm_idx"


def trigram_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_trigram_index(column)} ON leads_lead "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    # Statistics of the new expressions: without them the planner takes every "contains" for
    # rare and sorts a hundred thousand `Garcia`s instead of walking the newest first.
    schema_editor.execute("ANALYZE leads_lead")


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_trigram_index(column)}")
    # The extension stays: other objects of the database may use it by now.


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_squashed_0006_import_on_match")]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["-created_at", "-id"], name="lead_newest_first_idx"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["status", "-created_at", "-id"], name="lead_status_newest_idx"
            ),
        ),
        migrations.RunPython(trigram_indexes_create, trigram_indexes_drop),
    ]
