"""Admin views of the SMS channel: the agent's send form and the possible-opt-out inbox buttons.

Mounted through OutboundMessageAdmin/PossibleOptOutAdmin.get_urls (admin_view checks is_staff);
each view checks its own permission and accepts POST only (CSRF protected).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from optouts.lead_directory import lead_change_url
from optouts.messaging.forms import MessageSendForm
from optouts.messaging.models import MessageStatus
from optouts.messaging.services import (
    MessageInvalid,
    PossibleOptOutResolved,
    SendRefused,
    message_send,
    possible_opt_out_confirm,
    possible_opt_out_dismiss,
)
from optouts.models import Source
from optouts.permissions import (
    user_can_confirm_possible_opt_out,
    user_can_dismiss_possible_opt_out,
    user_can_send_sms,
)
from optouts.services import Outcome
from velocify_sms.phones import InvalidPhoneNumber, phone_display


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def message_send_view(request):
    if not user_can_send_sms(request.user):
        raise PermissionDenied("You do not have permission to send SMS messages.")
    form = MessageSendForm(request.POST)
    lead_id = None
    if form.is_valid():
        data = form.cleaned_data
        lead_id = data["lead"]
        try:
            message = message_send(
                to=data["to"], body=data["body"], lead_id=lead_id, sender=request.user
            )
        except (InvalidPhoneNumber, MessageInvalid) as exc:
            messages.error(request, f"Not sent: {exc}")
        except SendRefused as exc:
            # The sentence only: the code (exc.code) is the API's, and the log keeps it.
            messages.error(request, f"Not sent: {exc.message.reason}")
        else:
            if message.status == MessageStatus.HELD:
                messages.warning(request, f"Not sent yet. {message.reason}")
            elif message.status == MessageStatus.FAILED:
                messages.error(
                    request,
                    f"The SMS provider refused the message to {phone_display(message.to_number)}: "
                    f"{message.reason}",
                )
            elif message.status == MessageStatus.QUEUED:
                messages.success(
                    request, f"SMS to {phone_display(message.to_number)} queued for sending."
                )
            else:
                messages.success(request, f"SMS sent to {phone_display(message.to_number)}.")
    else:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Not sent: {problems}")
    lead_page = lead_change_url(lead_id) if lead_id is not None else None
    fallback = lead_page or reverse("admin:optouts_outboundmessage_changelist")
    return HttpResponseRedirect(_safe_next(request, fallback))


def _inbox_url() -> str:
    return reverse("admin:optouts_possibleoptout_changelist")


@require_POST
def possible_opt_out_confirm_view(request, item_id: int):
    user = request.user
    if not user_can_confirm_possible_opt_out(user):
        raise PermissionDenied("You do not have permission to opt phone numbers out.")
    try:
        result = possible_opt_out_confirm(item_id=item_id, actor=user)
    except PossibleOptOutResolved as exc:
        messages.warning(request, str(exc))
    else:
        number = phone_display(result.phone_number)
        if result.outcome == Outcome.OPTED_OUT:
            messages.success(
                request,
                f"{number} is now opted out at the contact's request; only the contact can undo "
                "it, by texting START.",
            )
        else:
            messages.info(
                request,
                f"{number} was already opted out (source {Source(result.source).label}); "
                "nothing changed.",
            )
    return HttpResponseRedirect(_safe_next(request, _inbox_url()))


@require_POST
def possible_opt_out_dismiss_view(request, item_id: int):
    """Dismiss with the reason typed on the confirmation page; a blank reason shows the page
    again with the error (the caller, PossibleOptOutAdmin.dismiss_view, renders it)."""
    user = request.user
    if not user_can_dismiss_possible_opt_out(user):
        raise PermissionDenied("Only an admin can dismiss a possible opt-out.")
    try:
        item = possible_opt_out_dismiss(
            item_id=item_id, actor=user, reason=request.POST.get("reason", "")
        )
    except PossibleOptOutResolved as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(
            request,
            f"Dismissed the message from {phone_display(item.phone_number)}; texts to it may go "
            "again. The reason is kept in its history.",
        )
    return HttpResponseRedirect(_safe_next(request, _inbox_url()))
