"""An index for the report's search by last digits (`reverse(phone_number) LIKE '1651%'`).

PostgreSQL only: an expression index with the pattern operator class, which SQLite (the embedded
default, where a scan of a development list is instant) cannot build. Not declared on the model,
since Django would then try to build it on every database.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS optout_number_suffix_idx "
    "ON optouts_optout ((reverse(phone_number)) varchar_pattern_ops)"
)
DROP = "DROP INDEX IF EXISTS optout_number_suffix_idx"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("optouts", "0015_append_only_everywhere")]

    operations = [migrations.RunPython(forward, backward)]
