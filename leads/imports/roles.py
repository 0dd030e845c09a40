"""What the Admins group may do with lead imports (docs/rules.md: admins import).

Kept apart from optouts/roles.py because optouts.0002_roles grants everything listed there and
may run before the import models exist; migration leads.0003 grants these.
"""

from __future__ import annotations

IMPORT_GRANTS = {
    "Admins": {
        "leads": [
            "import_leads",
            "add_importjob",
            "view_importjob",
            "add_importmapping",
            "change_importmapping",
            "view_importmapping",
            "delete_importmapping",
        ]
    },
}


def import_roles_ensure(*, apps) -> None:
    """Grant the import permissions; `apps` is a migration's or the live registry."""
    from optouts.roles import roles_ensure

    roles_ensure(apps=apps, grants=IMPORT_GRANTS)
