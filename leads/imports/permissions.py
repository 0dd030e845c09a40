"""Who may import leads: admins and superusers (leads.import_leads and leads.add_lead)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

IMPORT_LEADS = "leads.import_leads"
ADD_LEAD = "leads.add_lead"


def user_can_import(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.has_perm(IMPORT_LEADS)
        and user.has_perm(ADD_LEAD)
    )


class CanImportLeads(BasePermission):
    message = "Only an admin can import leads."

    def has_permission(self, request, view):
        return user_can_import(request.user)
