"""python manage.py migrate, as the tables' owner when DATABASE_OWNER_URL is set.

Django's own migrate, with one difference: when DATABASE_OWNER_URL is set (and the default
database is migrated), the connection uses that URL's role for the run, so the tables belong to
the owner and the app (DATABASE_URL's role) owns nothing; then, as the owner, it sets what the
app's role may do to the consent tables (optouts/evidence/privileges.py): no UPDATE, DELETE or
TRUNCATE of events, no TRUNCATE of the opt-out list. Only this command reads the setting, so
every other process stays on DATABASE_URL. docs/operations.md, "Database roles".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

from optouts.evidence.privileges import consent_privileges_restrict

_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


@contextmanager
def owner_connection(url: str) -> Iterator[str]:
    """The default connection as the owner for the block; yields the app's own role."""
    connection = connections[DEFAULT_DB_ALIAS]
    owner = dj_database_url.parse(url)
    current = connection.settings_dict
    if owner["ENGINE"] != current["ENGINE"] or owner["NAME"] != current["NAME"]:
        raise CommandError(
            "DATABASE_OWNER_URL must name the same database as DATABASE_URL "
            f"({current['NAME']}), as its owner.",
            returncode=2,
        )
    kept = {name: current.get(name) for name in _CREDENTIALS}
    connection.close()
    current.update({name: owner.get(name) or kept[name] for name in _CREDENTIALS})
    current["OPTIONS"] = {**(kept["OPTIONS"] or {}), **(owner.get("OPTIONS") or {})}
    try:
        yield kept["USER"] or ""
    finally:
        connection.close()
        current.update(kept)


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " With DATABASE_OWNER_URL set, as that role (the tables' owner)."

    def handle(self, *args, **options):
        url = getattr(settings, "DATABASE_OWNER_URL", "")
        if not url or options.get("database", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        with owner_connection(url) as app_role:
            owner_role = connections[DEFAULT_DB_ALIAS].settings_dict.get("USER")
            super().handle(*args, **options)
            if app_role and app_role != owner_role:
                done = consent_privileges_restrict(role=app_role)
                if done and options.get("verbosity", 1) >= 1:
                    self.stdout.write(
                        f"Consent tables: {app_role} may add events, never rewrite them "
                        f"({len(done)} grants and revokes)."
                    )
