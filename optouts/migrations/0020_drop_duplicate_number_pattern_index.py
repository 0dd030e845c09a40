"""Drop the second pattern index on optouts_optout.phone_number (PostgreSQL only).

Django adds `optouts_optout_phone_number_34c2f8b9_like` (varchar_pattern_ops) to every unique
text column on PostgreSQL; `optout_number_prefix_idx` (models.py) is the same index by name, the
one the report's prefix filter reads. Two identical indexes only doubled the work of every
insert (a big import writes hundreds of thousands). The unique index stays. Nothing here reads
app code: the name is frozen as Django computed it.
"""

from django.db import migrations

DUPLICATE = "optouts_optout_phone_number_34c2f8b9_like"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{DUPLICATE}"')


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{DUPLICATE}" ON "optouts_optout" '
            '("phone_number" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0019_sms_keywords"),
    ]

    operations = [
        migrations.RunPython(drop, restore, elidable=False),
    ]
