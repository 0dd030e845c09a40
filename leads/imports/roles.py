"""What the Admins group may do with lead imports (DESIGN.md section 1: admins import).

Kept apart from optouts/roles.py because optouts.0002_roles grants everything listed there and
may run before the import models exist; migration leads.0003 grants these.
"""

from __future__ import annotations

IMPORT_GRANTS = {
    "Admins": [
        "import_leads",
        "add_importjob",
        "view_importjob",
        "add_importmapping",
        "change_importmapping",
        "view_importmapping",
        "delete_importmapping",
    ],
}


def import_roles_ensure(*, apps) -> None:
    """Grant the import permissions; `apps` is a migration's or the live registry."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("leads")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in IMPORT_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = list(
            Permission.objects.filter(content_type__app_label="leads", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"Missing permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)
