"""The SMS behind consent events and the webhook's answers, for the evidence bundle
(optouts/evidence/bundle.py).

The bundle sits in the consent core, below this channel, so it cannot import the message logs;
the app's ready() hands it this log (optouts.evidence.bundle.message_log_set).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from optouts.evidence.chain import chain_time
from optouts.messaging.models import InboundMessage, OutboundMessage
from optouts.models import ConsentEvent


def _utc(value: datetime | None) -> str | None:
    return chain_time(value) if value is not None else None


def _reply_item(reply: OutboundMessage, inbound: InboundMessage) -> dict:
    return {
        "direction": "outbound",
        "message_id": reply.pk,
        "provider_id": reply.provider_id,
        "to": reply.to_number,
        "body": reply.body,
        "status": reply.status,
        "error_code": reply.error_code,
        "created_at": _utc(reply.created_at),
        "in_reply_to": inbound.message_sid,
    }


def _replies_by_inbound(inbound: Iterable[InboundMessage]) -> dict[int, list[OutboundMessage]]:
    """{inbound id: the answers sent to it in the webhook's response}, in one query."""
    found: dict[int, list[OutboundMessage]] = {}
    ids = [m.pk for m in inbound]
    for reply in OutboundMessage.objects.filter(in_reply_to__in=ids).order_by("id"):
        found.setdefault(reply.in_reply_to_id, []).append(reply)
    return found


def evidence_messages_by_event(events: list[ConsentEvent]) -> dict[int, list[dict]]:
    """{event id: [the SMS that caused it, and the answer sent to it]}: the inbound text a
    keyword or words event quotes (by its provider MessageSid) and the confirmation replying to
    it, or the outbound message a carrier event names (by id or provider id). Three queries for
    all events."""
    sids = {str(e.details.get("message_sid")) for e in events if e.details.get("message_sid")}
    ids = set()
    for e in events:
        value = e.details.get("message_id")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            ids.add(int(value))
    inbound = {m.message_sid: m for m in InboundMessage.objects.filter(message_sid__in=sids)}
    replies = _replies_by_inbound(inbound.values())
    outbound_rows = OutboundMessage.objects.filter(pk__in=ids) | OutboundMessage.objects.filter(
        provider_id__in=sids - set(inbound)
    )
    outbound_by_id = {m.pk: m for m in outbound_rows} if (ids or sids) else {}
    outbound_by_sid = {m.provider_id: m for m in outbound_by_id.values() if m.provider_id}
    found: dict[int, list[dict]] = {}
    for e in events:
        items = []
        sid = str(e.details.get("message_sid") or "")
        if sid and sid in inbound:
            m = inbound[sid]
            items.append(
                {
                    "direction": "inbound",
                    "message_sid": m.message_sid,
                    "from": m.from_raw,
                    "to": m.to_number,
                    "body": m.body,
                    "received_at": _utc(m.received_at),
                    "action": m.action,
                    "rule": m.rule,
                }
            )
            items += [_reply_item(reply, m) for reply in replies.get(m.pk, [])]
        outbound = None
        value = e.details.get("message_id")
        if value is not None and str(value).isdigit():
            outbound = outbound_by_id.get(int(value))
        if outbound is None and sid:
            outbound = outbound_by_sid.get(sid)
        if outbound is not None:
            items.append(
                {
                    "direction": "outbound",
                    "message_id": outbound.pk,
                    "provider_id": outbound.provider_id,
                    "to": outbound.to_number,
                    "body": outbound.body,
                    "status": outbound.status,
                    "error_code": outbound.error_code,
                    "created_at": _utc(outbound.created_at),
                }
            )
        found[e.pk] = items
    return found


def evidence_phone_replies(*, number: str) -> list[dict]:
    """Every answer the webhook sent to the E.164 `number` (confirmations and help texts),
    oldest first, each with the inbound text it answered: a help text changes no consent, so no
    event carries it. One query."""
    replies = list(
        OutboundMessage.objects.filter(to_number=number, in_reply_to__isnull=False)
        .select_related("in_reply_to")
        .order_by("created_at", "id")
    )
    return [
        {
            "inbound": {
                "message_sid": r.in_reply_to.message_sid,
                "body": r.in_reply_to.body,
                "received_at": _utc(r.in_reply_to.received_at),
                "action": r.in_reply_to.action,
                "rule": r.in_reply_to.rule,
            },
            "reply": _reply_item(r, r.in_reply_to),
        }
        for r in replies
    ]


class EvidenceMessageLog:
    """What the bundle asks the SMS channel (optouts.evidence.bundle.MessageLog)."""

    def by_event(self, events: list[ConsentEvent]) -> dict[int, list[dict]]:
        return evidence_messages_by_event(events)

    def replies(self, number: str) -> list[dict]:
        return evidence_phone_replies(number=number)
