"""Reads of the SMS channel."""

from __future__ import annotations

from dataclasses import dataclass

from optouts.selectors import phone_status
from optouts.services import opt_out_explanation


@dataclass(frozen=True)
class SendCheck:
    """Whether a number may be texted now, and if not, why (for the lead page's send form)."""

    phone_number: str
    can_send: bool
    source: str | None
    reason: str


def phone_send_check(*, number: str) -> SendCheck:
    """Send status of a number in any written form (raises InvalidPhoneNumber)."""
    status = phone_status(number=number)
    if not status.sms_opted_out:
        return SendCheck(status.phone_number, True, None, "")
    return SendCheck(
        status.phone_number, False, status.source, opt_out_explanation(source=status.source)
    )
