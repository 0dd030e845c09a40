"""The Admins and Agents groups with their permissions."""

from django.db import migrations

from optouts.roles import roles_ensure


def create_groups(apps, schema_editor):
    roles_ensure(apps=apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Admins", "Agents"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0001_initial"),
        ("leads", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
