"""Give the Admins group the new `leads.import_leads` permission on databases made before it."""

from django.db import migrations

from optouts.roles import roles_ensure


def grant(apps, schema_editor):
    roles_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_import_jobs"),
        ("optouts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
