"""`{% sms_send_check phone user as check %}`: may `user` text `phone` now, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from optouts.messaging.selectors import phone_send_check
from optouts.permissions import user_can_send_sms
from velocify_sms.phones import InvalidPhoneNumber

register = template.Library()


@dataclass(frozen=True)
class _FormState:
    phone_number: str
    permitted: bool
    can_send: bool
    reason: str


@register.simple_tag
def sms_send_check(phone, user=None) -> _FormState:
    permitted = user_can_send_sms(user)
    try:
        check = phone_send_check(number=str(phone or ""))
    except InvalidPhoneNumber as exc:
        return _FormState(str(phone or ""), permitted, False, str(exc))
    return _FormState(check.phone_number, permitted, check.can_send, check.reason)
