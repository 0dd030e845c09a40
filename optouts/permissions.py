"""Who may do what, as DRF permission classes and plain checks shared by admin views.

The permission codenames live on optouts.OptOut (see optouts/roles.py for the groups).
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

OPT_OUT = "optouts.opt_out_phone"
OPT_IN = "optouts.opt_in_phone"
VIEW_REPORT = "optouts.view_optout_report"
SEND_SMS = "optouts.send_sms"
RESOLVE_POSSIBLE_OPT_OUT = "optouts.change_possibleoptout"


def user_can_opt_out(user) -> bool:
    return bool(user and user.is_active and user.has_perm(OPT_OUT))


def user_can_opt_in(user) -> bool:
    return bool(user and user.is_active and user.has_perm(OPT_IN))


def user_can_view_report(user) -> bool:
    return bool(user and user.is_active and user.has_perm(VIEW_REPORT))


def user_can_send_sms(user) -> bool:
    return bool(user and user.is_active and user.has_perm(SEND_SMS))


def user_can_resolve_possible_opt_outs(user) -> bool:
    return bool(user and user.is_active and user.has_perm(RESOLVE_POSSIBLE_OPT_OUT))


def user_can_confirm_possible_opt_out(user) -> bool:
    """Agents and admins: confirming opts the number out as the contact asked."""
    return user_can_resolve_possible_opt_outs(user) and user_can_opt_out(user)


def user_can_dismiss_possible_opt_out(user) -> bool:
    """Admins only: dismissing lets texts go again, as an opt-in does (docs/rules.md)."""
    return user_can_resolve_possible_opt_outs(user) and user_can_opt_in(user)


class CanOptOut(BasePermission):
    message = "You do not have permission to opt phone numbers out."

    def has_permission(self, request, view):
        return user_can_opt_out(request.user)


class CanOptIn(BasePermission):
    message = "Only an admin can opt a phone number back in."

    def has_permission(self, request, view):
        return user_can_opt_in(request.user)


class IsAdminForOptOutReport(BasePermission):
    message = "Only an admin can read the opt-out list."

    def has_permission(self, request, view):
        return user_can_view_report(request.user)


class IsAdminForEvidence(BasePermission):
    message = "Only an admin can export the consent evidence of a number."

    def has_permission(self, request, view):
        # The evidence export is the history page's download: the same admins, the same check.
        return user_can_view_report(request.user)


class CanSendSms(BasePermission):
    message = "You do not have permission to send SMS messages."

    def has_permission(self, request, view):
        return user_can_send_sms(request.user)
