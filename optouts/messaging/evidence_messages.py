"""The SMS behind consent events, for the evidence bundle (optouts/evidence/bundle.py).

The bundle sits in the consent core, below this channel, so it cannot import the message logs;
the app's ready() registers this look-up with it (optouts.evidence.bundle.event_messages_set).
"""

from __future__ import annotations

from datetime import datetime

from optouts.evidence.chain import chain_time
from optouts.messaging.models import InboundMessage, OutboundMessage
from optouts.models import ConsentEvent


def _utc(value: datetime | None) -> str | None:
    return chain_time(value) if value is not None else None


def evidence_messages_by_event(events: list[ConsentEvent]) -> dict[int, list[dict]]:
    """{event id: [the SMS that caused it]}: the inbound text a keyword event quotes (by its
    provider MessageSid), or the outbound message a carrier event names (by id or provider id).
    Two queries for all events."""
    sids = {str(e.details.get("message_sid")) for e in events if e.details.get("message_sid")}
    ids = set()
    for e in events:
        value = e.details.get("message_id")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            ids.add(int(value))
    inbound = {m.message_sid: m for m in InboundMessage.objects.filter(message_sid__in=sids)}
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
                }
            )
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
