"""Reads of the SMS channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from optouts.messaging.models import (
    MessageStatus,
    OutboundMessage,
    PossibleOptOut,
    PossibleOptOutStatus,
    ReasonCode,
    UnreachableHold,
)
from optouts.selectors import phone_status, phones_opted_out
from optouts.services import opt_out_explanation
from velocify_sms.db_arrays import in_values
from velocify_sms.phones import phone_display


@dataclass(frozen=True)
class SendCheck:
    """Whether a number may be texted now, and if not, why (for the lead page's send form)."""

    phone_number: str
    can_send: bool
    source: str | None
    reason: str


@dataclass(frozen=True)
class SendBlock:
    """Why no SMS may go to a number now: `code` is a ReasonCode (the API's 409 code), `source`
    the opt-out source when it is on the list, `reason` the sentence people read."""

    code: str
    reason: str
    source: str = ""


_SNIPPET = 60


def _pending_reason(number: str, item: PossibleOptOut) -> str:
    text = " ".join((item.inbound.body or "").split())
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 1] + "…"
    return (
        f"{phone_display(number)} wrote “{text}”, which may mean stop: no SMS may be sent to it "
        "until someone reviews the message in Possible opt-outs."
    )


def _unreachable_reason(number: str, hold: UnreachableHold) -> str:
    return (
        f"The carrier could not reach {phone_display(number)} {len(hold.failures)} times: no SMS "
        "is sent to it until it is reachable again (the contact texts us, or an admin lifts the "
        "hold in Unreachable numbers)."
    )


def phones_revocation_pending(numbers: list[str]) -> set[str]:
    """Those of `numbers` (E.164) with a possible revocation waiting for review; one query."""
    return set(
        PossibleOptOut.objects.filter(
            status=PossibleOptOutStatus.OPEN, phone_number__in=numbers
        ).values_list("phone_number", flat=True)
    )


def phones_send_blocks(*, numbers: Iterable[str]) -> dict[str, SendBlock]:
    """{E.164 number: SendBlock} for the numbers no SMS may go to now (docs/rules.md): on the
    opt-out list, or with a possible revocation waiting for review, or held as unreachable; the
    list first, then the pending revocation, then the hold. Numbers absent may be texted (the
    send policy's hours and caps aside). The send guard calls it under the numbers' locks."""
    wanted = sorted(set(numbers))
    blocks: dict[str, SendBlock] = {}
    for number, source in phones_opted_out(numbers=wanted).items():
        blocks[number] = SendBlock(
            ReasonCode.RECIPIENT_OPTED_OUT, opt_out_explanation(source=source), source
        )
    rest = [n for n in wanted if n not in blocks]
    if rest:
        pending = (
            PossibleOptOut.objects.filter(status=PossibleOptOutStatus.OPEN, phone_number__in=rest)
            .select_related("inbound")
            .order_by("created_at", "pk")
        )
        for item in pending:
            blocks.setdefault(
                item.phone_number,
                SendBlock(ReasonCode.REVOCATION_PENDING, _pending_reason(item.phone_number, item)),
            )
        rest = [n for n in rest if n not in blocks]
    if rest:
        # A hold whose retry is due lets texts through: a delivered one lifts it.
        holds = UnreachableHold.objects.filter(
            phone_number__in=rest, retry_after__gt=timezone.now()
        )
        for hold in holds:
            blocks[hold.phone_number] = SendBlock(
                ReasonCode.UNREACHABLE, _unreachable_reason(hold.phone_number, hold)
            )
    return blocks


def phone_send_check(*, number: str) -> SendCheck:
    """Send status of a number in any written form (raises InvalidPhoneNumber)."""
    status = phone_status(number=number)
    block = phones_send_blocks(numbers=[status.phone_number]).get(status.phone_number)
    if block is None:
        return SendCheck(status.phone_number, True, None, "")
    return SendCheck(status.phone_number, False, block.source or None, block.reason)


def messages_sent_counts(*, numbers: Iterable[str], since: datetime) -> dict[str, int]:
    """{E.164 number: messages this system handed to the provider for it since `since`} (sent
    or delivered; blocked, refused, held and failed ones never left), for the frequency cap.

    One query; the (to_number, created_at) index finds each number's few messages. For a big batch
    on PostgreSQL the numbers go as one array (velocify_sms.db_arrays).
    """
    wanted = set(numbers)
    if not wanted:
        return {}
    queryset = OutboundMessage.objects.filter(
        in_values("to_number", wanted),
        status__in=[MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED],
        sent_at__gt=since,
    )
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


@dataclass(frozen=True)
class InboxSummary:
    """The open possible opt-outs: how many, the oldest's deadline, and the items (oldest first,
    at most `limit`)."""

    count: int
    nearest_deadline: datetime | None
    items: list


def possible_opt_outs_waiting(*, limit: int = 50) -> InboxSummary:
    """The open inbox items for the dashboard and the daily digest: two queries."""
    from optouts.messaging.deadlines import revocation_deadline

    open_items = PossibleOptOut.objects.filter(status=PossibleOptOutStatus.OPEN)
    items = list(open_items.select_related("inbound").order_by("created_at", "pk")[:limit])
    count = open_items.count() if len(items) == limit else len(items)
    nearest = revocation_deadline(received_at=items[0].created_at) if items else None
    return InboxSummary(count, nearest, items)
