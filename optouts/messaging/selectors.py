"""Reads of the SMS channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, Count
from django.db.models.expressions import RawSQL

from optouts.messaging.models import MessageStatus, OutboundMessage
from optouts.selectors import phone_status
from optouts.services import opt_out_explanation

# Past this many numbers, PostgreSQL gets them as one array (see messages_sent_counts).
_BIG_BATCH = 100


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


def messages_sent_counts(*, numbers: Iterable[str], since: datetime) -> dict[str, int]:
    """{E.164 number: messages this system handed to the provider for it since `since`} (sent
    or delivered; blocked, refused, held and failed ones never left), for the frequency cap.

    One query; the (to_number, created_at) index finds each number's few messages. For a big batch
    on PostgreSQL the numbers go as one array, as in optouts.selectors.phones_opted_out.
    """
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    queryset = OutboundMessage.objects.filter(
        status__in=[MessageStatus.SENT, MessageStatus.DELIVERED], sent_at__gt=since
    )
    if connection.vendor == "postgresql" and len(wanted) > _BIG_BATCH:
        queryset = queryset.filter(
            RawSQL(
                "to_number = ANY(ARRAY(SELECT unnest(%s::text[])))",
                [wanted],
                output_field=BooleanField(),
            )
        )
    else:
        queryset = queryset.filter(to_number__in=wanted)
    rows = queryset.values("to_number").annotate(count=Count("id")).order_by()
    return {row["to_number"]: row["count"] for row in rows}


def phone_replies_recent(*, number: str, limit: int = 100) -> list[OutboundMessage]:
    """The answers the inbound webhook sent to an E.164 number (confirmations, help texts),
    newest first, each with the text it answered (`in_reply_to`), in one query."""
    return list(
        OutboundMessage.objects.filter(to_number=number, in_reply_to__isnull=False)
        .select_related("in_reply_to")
        .order_by("-created_at", "-id")[:limit]
    )
