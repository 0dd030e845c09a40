"""What the Admins and Agents groups may do with leads and lead imports (docs/rules.md: agents
keep leads, admins import). The leads app grants its own: LeadsConfig.ready() registers this into
optouts.roles.all_grants(), and migration leads.0001 keeps a frozen copy."""

from __future__ import annotations

LEAD_GRANTS = {
    "Admins": {
        "leads": [
            "add_lead",
            "change_lead",
            "view_lead",
            "delete_lead",
            "add_leadphone",
            "change_leadphone",
            "view_leadphone",
            "delete_leadphone",
            "import_leads",
            "add_importjob",
            "view_importjob",
            "add_importmapping",
            "change_importmapping",
            "view_importmapping",
            "delete_importmapping",
        ]
    },
    "Agents": {
        "leads": [
            "add_lead",
            "change_lead",
            "view_lead",
            "add_leadphone",
            "change_leadphone",
            "view_leadphone",
            "delete_leadphone",
        ]
    },
}
