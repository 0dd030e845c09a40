"""The Admins and Agents groups (docs/rules.md, Words): what each may do, for tests and setup.

Each app grants its own: this table is the consent core's, the SMS channel's and the leads app's
are registered by their AppConfigs (`grants_register`). The migrations keep frozen copies of
these tables (a migration keeps meaning what it meant); tests/optouts/test_migrations.py checks
that a new database's groups hold exactly `all_grants()`.
"""

from __future__ import annotations

GROUPS = {
    "Admins": {
        "optouts": [
            "view_optout",
            "view_consentevent",
            "opt_out_phone",
            "opt_in_phone",
            "view_optout_report",
        ],
    },
    "Agents": {"optouts": ["opt_out_phone"]},
}


# The tables registered by the AppConfigs (optouts: the SMS channel's, leads: its own), so this
# module names no app above it.
_feature_grants: list[dict[str, dict[str, list[str]]]] = []


def grants_register(grants: dict[str, dict[str, list[str]]]) -> None:
    """Add an app's or a feature's grant table to all_grants(); called from an AppConfig.ready()."""
    if grants not in _feature_grants:
        _feature_grants.append(grants)


def all_grants() -> dict[str, dict[str, list[str]]]:
    """Every grant of the project: the core table above and every registered table."""
    merged: dict[str, dict[str, list[str]]] = {}
    for table in (GROUPS, *_feature_grants):
        for group, per_app in table.items():
            for app_label, codenames in per_app.items():
                merged.setdefault(group, {}).setdefault(app_label, []).extend(codenames)
    return merged


def roles_ensure(*, grants: dict | None = None) -> None:
    """Create the groups with their permissions (`grants`: {group: {app_label: [codename, ...]}},
    by default all_grants()), as the migrations did; for tests that flush the database."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for name, per_app in (grants or all_grants()).items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in per_app.items():
            perms = list(
                Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
            missing = set(codenames) - {p.codename for p in perms}
            if missing:
                raise RuntimeError(f"Missing permissions for {name}: {sorted(missing)}")
            group.permissions.add(*perms)
