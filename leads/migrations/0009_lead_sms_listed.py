"""Lead.sms_listed: the stored hint behind the lead list's "Textable" filter (leads.services.listed),
set here from the list as it stands, before its partial index is built."""

from django.db import migrations, models

BACKFILL = """
UPDATE leads_lead SET sms_listed = TRUE
WHERE EXISTS (
    SELECT 1 FROM leads_leadphone p
    JOIN optouts_optout o ON o.phone_number = p.number
    WHERE p.lead_id = leads_lead.id
)
"""


def listed_backfill(apps, schema_editor):
    schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_leadphone_lead_index_in_unique"),
        # The backfill reads the opt-out list.
        ("optouts", "0020_drop_duplicate_number_pattern_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="sms_listed",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(listed_backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("sms_listed", False)),
                fields=["-created_at", "-id"],
                name="lead_unlisted_newest_idx",
            ),
        ),
    ]
