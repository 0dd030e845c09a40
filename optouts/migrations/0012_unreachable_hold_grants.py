"""Both groups may see the unreachable numbers (admins lift holds through the consent services).

A frozen copy of the grant, not an import of the app's roles module: a migration keeps meaning
what it meant when it was written.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Admins": ["view_unreachablehold"], "Agents": ["view_unreachablehold"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("optouts")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="optouts", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("optouts", "0011_consent_in_words"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
