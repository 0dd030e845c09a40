"""What the Admins and Agents groups may do with SMS messages (docs/rules.md, "Who may do what").

Registered by OptoutsConfig.ready() into optouts.roles.all_grants(), so the consent core's table
names nothing of the SMS channel.
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
            "view_unreachablehold",
            # The keywords and replies (migration 0019): admins only.
            "view_smskeyword",
            "add_smskeyword",
            "delete_smskeyword",
            "view_smskeywordreply",
            "change_smskeywordreply",
            "view_smskeywordchange",
        ]
    },
    "Agents": {
        "optouts": [
            "send_sms",
            "view_outboundmessage",
            "view_inboundmessage",
            "view_possibleoptout",
            "change_possibleoptout",
            "view_unreachablehold",
        ]
    },
}
