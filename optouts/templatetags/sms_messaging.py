"""`{% sms_send_check phone user lead as check %}`: may `user` text `phone` now, and if not, why.
`{% sms_replies number as replies %}`: the answers the webhook sent to a number (history page)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils import timezone

from optouts.messaging.models import ReasonCode
from optouts.messaging.policy import quiet_hours_hold_possible, send_policy_preview
from optouts.messaging.selectors import phone_replies_recent, phone_send_check
from optouts.permissions import user_can_send_sms
from velocify_sms.phones import InvalidPhoneNumber

register = template.Library()


@dataclass(frozen=True)
class _FormState:
    phone_number: str
    permitted: bool
    can_send: bool
    reason: str
    # The send policy's answer right now ("quiet_hours", "frequency_cap" or ""), and what a
    # text sent now would meet: held until the next allowed minute, or refused.
    policy_code: str = ""
    policy_note: str = ""


@register.simple_tag
def sms_send_check(phone, user=None, lead=None) -> _FormState:
    permitted = user_can_send_sms(user)
    try:
        check = phone_send_check(number=str(phone or ""))
    except InvalidPhoneNumber as exc:
        return _FormState(str(phone or ""), permitted, False, str(exc))
    if not check.can_send or not permitted:
        return _FormState(check.phone_number, permitted, check.can_send, check.reason)
    decision = send_policy_preview(
        number=check.phone_number, lead_id=getattr(lead, "pk", None), now=timezone.now()
    )
    if decision.allowed:
        return _FormState(check.phone_number, permitted, True, "")
    if decision.code == ReasonCode.FREQUENCY_CAP:
        return _FormState(
            check.phone_number, permitted, False, decision.reason, decision.code, decision.reason
        )
    held = decision.release_at is not None and quiet_hours_hold_possible()
    note = (
        f"{decision.reason} A text sent now waits until {decision.release_text}."
        if held
        else f"{decision.reason} A text sent now is refused."
    )
    return _FormState(check.phone_number, permitted, True, "", decision.code, note)


@register.simple_tag
def sms_replies(number):
    """The webhook's answers to an E.164 number, newest first, with the texts they answered."""
    return phone_replies_recent(number=str(number or ""))
