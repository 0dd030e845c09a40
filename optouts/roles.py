"""The Admins and Agents groups (docs/rules.md, Words): one definition for migration and tests."""

from __future__ import annotations

ADMINS = {
    "leads": [
        "add_lead",
        "change_lead",
        "view_lead",
        "delete_lead",
        "add_leadphone",
        "change_leadphone",
        "view_leadphone",
        "delete_leadphone",
    ],
    "optouts": [
        "view_optout",
        "view_consentevent",
        "opt_out_phone",
        "opt_in_phone",
        "view_optout_report",
    ],
}
AGENTS = {
    "leads": [
        "add_lead",
        "change_lead",
        "view_lead",
        "add_leadphone",
        "change_leadphone",
        "view_leadphone",
        "delete_leadphone",
    ],
    "optouts": ["opt_out_phone"],
}
GROUPS = {"Admins": ADMINS, "Agents": AGENTS}


# The feature tables registered by the AppConfigs (optouts: the SMS channel's, leads: the lead
# import's), so this module names no app above it.
_feature_grants: list[dict[str, dict[str, list[str]]]] = []


def grants_register(grants: dict[str, dict[str, list[str]]]) -> None:
    """Add a feature's grant table to all_grants(); called from an AppConfig.ready().

    The feature tables are kept beside their models because their own migrations (not 0002)
    grant them: on a fresh database 0002 runs before those models exist.
    """
    if grants not in _feature_grants:
        _feature_grants.append(grants)


def all_grants() -> dict[str, dict[str, list[str]]]:
    """Every grant of the project: the core table above and every registered feature table."""
    merged: dict[str, dict[str, list[str]]] = {}
    for table in (GROUPS, *_feature_grants):
        for group, per_app in table.items():
            for app_label, codenames in per_app.items():
                merged.setdefault(group, {}).setdefault(app_label, []).extend(codenames)
    return merged


def roles_ensure(*, apps, grants: dict | None = None) -> None:
    """Create the groups with their permissions; `apps` is a migration's or the live registry.

    `grants` is {group: {app_label: [codename, ...]}}, by default the core table above.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations run; make them now so the groups
    # can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, per_app in (grants or GROUPS).items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in per_app.items():
            perms = list(
                Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
            missing = set(codenames) - {p.codename for p in perms}
            if missing:
                raise RuntimeError(f"Missing permissions for {name}: {sorted(missing)}")
            group.permissions.add(*perms)
