"""What the Admins and Agents groups may do with SMS messages (DESIGN.md section 1).

Kept apart from optouts/roles.py because optouts.0002_roles grants everything listed there and
runs before these models exist; migration 0003_messaging grants these.
"""

from __future__ import annotations

SEND = "optouts.send_sms"

MESSAGING_GRANTS = {
    "Admins": [
        "send_sms",
        "view_outboundmessage",
        "view_inboundmessage",
        "view_possibleoptout",
        "change_possibleoptout",
        "view_outboxentry",
        "view_statuscallbackevent",
    ],
    "Agents": [
        "send_sms",
        "view_outboundmessage",
        "view_inboundmessage",
        "view_possibleoptout",
        "change_possibleoptout",
    ],
}


def messaging_roles_ensure(*, apps) -> None:
    """Grant the SMS permissions to both groups; `apps` is a migration's or the live registry."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("optouts")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in MESSAGING_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = list(
            Permission.objects.filter(content_type__app_label="optouts", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"Missing permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)
