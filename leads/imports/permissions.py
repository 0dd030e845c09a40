"""Who may import leads: admins and superusers (leads.import_leads and leads.add_lead); and who
may import a file whose mapping has an SMS Opt Out column (also optouts.opt_out_phone)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from leads.imports.mapping import IGNORE, OPT_OUT, TARGETS, MappingError
from optouts.permissions import user_can_opt_out

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


class ImportOptOutNotPermitted(MappingError):
    """The mapping imports SMS Opt Out and the importing user may not opt numbers out.

    A MappingError, because mapping that column to `ignore` is the fix; the API answers 403.
    """

    code = "opt_out_not_permitted"


def import_mapping_opt_out_errors(*, mapping: dict[str, str], user) -> list[str]:
    """Why `user` may not import with this mapping (empty when they may).

    A column mapped to SMS Opt Out opts numbers out on its TRUE rows, which the consent service
    allows only to users with optouts.opt_out_phone (the import's actor is the user who uploaded
    the file). Refused up front, whatever the values: finding out at the first TRUE row would
    fail the job midway.
    """
    headers = [header for header, target in mapping.items() if target == OPT_OUT]
    if not headers or user_can_opt_out(user):
        return []
    who = "this import has no user who may"
    if user is not None:
        who = f"{user.get_username()} may not"
    return [
        f'Column "{headers[0]}" is mapped to {TARGETS[OPT_OUT]}, which opts numbers out, but '
        f'{who} opt phone numbers out. Map it to "{TARGETS[IGNORE]}" (FALSE and blank '
        "change nothing anyway), or have someone who may opt numbers out import the file."
    ]


def import_mapping_opt_out_check(*, mapping: dict[str, str], user) -> None:
    """Raise ImportOptOutNotPermitted when `user` may not import with this mapping."""
    errors = import_mapping_opt_out_errors(mapping=mapping, user=user)
    if errors:
        raise ImportOptOutNotPermitted(errors)
