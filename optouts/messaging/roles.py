"""What the Admins and Agents groups may do with SMS messages (docs/rules.md, "Who may do what").

Kept apart from optouts/roles.py because optouts.0002_roles grants everything listed there and
runs before these models exist; migration 0003_messaging grants these.
"""

from __future__ import annotations

MESSAGING_GRANTS = {
    "Admins": {
        "optouts": [
            "send_sms",
            "view_outboundmessage",
            "view_inboundmessage",
            "view_possibleoptout",
            "change_possibleoptout",
            "view_outboxentry",
            "view_statuscallbackevent",
        ]
    },
    "Agents": {
        "optouts": [
            "send_sms",
            "view_outboundmessage",
            "view_inboundmessage",
            "view_possibleoptout",
            "change_possibleoptout",
        ]
    },
}

# Granted by migration 0012 (with its own frozen copy); kept apart from MESSAGING_GRANTS, which
# migration 0003 grants from this module, before the model existed.
HOLD_GRANTS = {
    "Admins": {"optouts": ["view_unreachablehold"]},
    "Agents": {"optouts": ["view_unreachablehold"]},
}


def messaging_roles_ensure(*, apps) -> None:
    """Grant the SMS permissions to both groups; `apps` is a migration's or the live registry."""
    from optouts.roles import roles_ensure

    roles_ensure(apps=apps, grants=MESSAGING_GRANTS)


# Granted by migration 0018 (with its own frozen copy): the keywords and replies, admins only.
KEYWORD_GRANTS = {
    "Admins": {
        "optouts": [
            "view_smskeyword",
            "add_smskeyword",
            "delete_smskeyword",
            "view_smskeywordreply",
            "change_smskeywordreply",
            "view_smskeywordchange",
        ]
    },
}
