"""Give the Admins group the lead import permissions (leads/imports/roles.py)."""

from django.db import migrations

from leads.imports.roles import import_roles_ensure


def grant(apps, schema_editor):
    import_roles_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_import_jobs"),
        ("optouts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
