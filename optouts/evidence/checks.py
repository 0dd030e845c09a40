"""System checks of the evidence (registered by importing this module: optouts/apps.py).

- optouts.E101: DEBUG is off and no anchor signing key is set: anchors could not be signed, so
  nothing outside the database would pin the history. Every command that runs the checks
  (runserver, migrate, the workers' commands, `check`) refuses to start.
- optouts.E102: a signing key is set but unusable (any DEBUG).
- optouts.E103: SMS_EVIDENCE_ANCHOR_STORAGE names no storage of STORAGES.
- optouts.W101 (`check --deploy`, PostgreSQL): the app's database role owns the consent event
  table (or is a superuser), so it could disable the triggers and rewrite history.
- optouts.W102 (`check --deploy`, PostgreSQL): the app's role may UPDATE, DELETE or TRUNCATE
  consent events, or TRUNCATE the opt-out list.
- optouts.W103 (`check --deploy`): the append-only triggers are missing.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection

from optouts.evidence.anchors import AnchorKeyError, signing_key_load

EVENTS = "optouts_consentevent"
LIST = "optouts_optout"
# The triggers of migrations optouts 0004/0007 and 0015, per database.
TRIGGERS = {
    "postgresql": {"optouts_consentevent_append_only", "optouts_consentevent_no_truncate"},
    "sqlite": {"optouts_consentevent_no_update", "optouts_consentevent_no_delete"},
}


@checks.register(checks.Tags.security)
def signing_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        key = signing_key_load()
    except AnchorKeyError as exc:
        return [checks.Error(str(exc), id="optouts.E102")]
    if key is None and not settings.DEBUG:
        return [
            checks.Error(
                "No evidence anchor signing key while DEBUG is off: the consent history could "
                "not be pinned outside the database.",
                hint="Set SMS_EVIDENCE_SIGNING_KEY_FILE (an Ed25519 PEM: openssl genpkey "
                "-algorithm ed25519) or SMS_EVIDENCE_SIGNING_KEY (64 hex digits); "
                "docs/operations.md, 'Evidence anchors'.",
                id="optouts.E101",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def anchor_storage_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    alias = settings.SMS_EVIDENCE_ANCHOR_STORAGE
    if alias and alias not in settings.STORAGES:
        return [
            checks.Error(
                f"SMS_EVIDENCE_ANCHOR_STORAGE={alias!r} is not a storage of STORAGES.",
                id="optouts.E103",
            )
        ]
    return []


def _role_findings() -> list[checks.CheckMessage]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE'), r.rolsuper, current_user, "
            "has_table_privilege(current_user, %s, 'UPDATE'), "
            "has_table_privilege(current_user, %s, 'DELETE'), "
            "has_table_privilege(current_user, %s, 'TRUNCATE'), "
            "has_table_privilege(current_user, %s, 'TRUNCATE') "
            "FROM pg_class c, pg_roles r WHERE c.oid = %s::regclass AND r.rolname = current_user",
            [EVENTS, EVENTS, EVENTS, LIST, EVENTS],
        )
        row = cursor.fetchone()
    if row is None:
        return []
    owns, superuser, role, update, delete, truncate, truncate_list = row
    found = []
    if owns or superuser:
        found.append(
            checks.Warning(
                f"The app's database role {role!r} "
                + ("is a superuser" if superuser else f"owns {EVENTS}")
                + ": it can disable the append-only triggers and rewrite the consent history.",
                hint="Run the app as a role that owns no table and migrate as the owner "
                "(DATABASE_OWNER_URL); docs/operations.md, 'Database roles'.",
                id="optouts.W101",
            )
        )
    rights = [
        name
        for name, granted in (
            (f"UPDATE on {EVENTS}", update),
            (f"DELETE on {EVENTS}", delete),
            (f"TRUNCATE on {EVENTS}", truncate),
            (f"TRUNCATE on {LIST}", truncate_list),
        )
        if granted
    ]
    if rights and not (owns or superuser):
        found.append(
            checks.Warning(
                f"The app's database role {role!r} has {', '.join(rights)}.",
                hint="`manage.py migrate` with DATABASE_OWNER_URL set revokes them; "
                "docs/operations.md, 'Database roles'.",
                id="optouts.W102",
            )
        )
    return found


def _installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled <> 'D'",
                [EVENTS],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [EVENTS],
            )
        return {name for (name,) in cursor.fetchall()}


@checks.register(checks.Tags.security, deploy=True)
def database_role_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if connection.vendor not in TRIGGERS:
        return []
    try:
        if EVENTS not in connection.introspection.table_names():
            return []  # not migrated yet: the migration checks say so
        found = _role_findings() if connection.vendor == "postgresql" else []
        missing = TRIGGERS[connection.vendor] - _installed_triggers()
    except DatabaseError:
        return []  # no database yet (or not migrated): the database checks say so
    if missing:
        found.append(
            checks.Warning(
                f"Append-only triggers missing or disabled on {EVENTS}: "
                f"{', '.join(sorted(missing))}.",
                hint="Run `manage.py migrate`; a DBA who disabled them must enable them again.",
                id="optouts.W103",
            )
        )
    return found
