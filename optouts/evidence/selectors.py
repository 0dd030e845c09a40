"""The evidence bundle of one number: every event with its chain hash, times, actors, leads and
the messages that caused it, the list row now, and the chain's verification.

The bundle is plain JSON-ready data (strings, numbers, lists, dicts); the API serves it as JSON
and optouts/evidence/render.py writes the same data as CSV or a printable page, so the three
formats cannot say different things.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.utils import timezone
from phonenumbers import timezone as phone_timezones

from optouts.chain import (
    CANONICAL_FIELDS,
    CHAIN_ALGORITHM,
    CHAIN_VERSION,
    REASON_SENTENCES,
    chain_time,
    event_fields,
)
from optouts.lead_directory import lead_directory
from optouts.messaging.models import InboundMessage, OutboundMessage
from optouts.models import Channel, ConsentEvent, EventAction, Source
from optouts.selectors import lead_refs_by_number, phone_status
from optouts.selectors_evidence import phone_chain_verification, phone_events_chained
from velocify_sms.phones import phone_format_national, phone_normalize

BUNDLE_FORMAT = "velocify-sms consent evidence"
BUNDLE_VERSION = 1
ACTION_LABELS = dict(EventAction.choices)
SOURCE_LABELS = dict(Source.choices)
CHANNEL_LABELS = dict(Channel.choices)
_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class RecipientZone:
    """The time zone a number's recipient is most likely in, as phonenumbers knows it."""

    name: str | None
    candidates: tuple[str, ...]
    note: str

    def as_dict(self) -> dict:
        return {"name": self.name, "candidates": list(self.candidates), "note": self.note}


def recipient_zone(*, number: str) -> RecipientZone:
    """The number's time zone from its prefix (phonenumbers' geocoding data).

    A prefix that spans several zones (a UK mobile, a US area code on a zone border) gives the
    first one, and the note says so: times in it are indicative, the UTC time is the record.
    """
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        parsed = None
    names = phone_timezones.time_zones_for_number(parsed) if parsed is not None else ()
    zones = []
    for name in names:
        if name == _UNKNOWN_ZONE:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        zones.append(name)
    if not zones:
        return RecipientZone(
            None,
            (),
            "No time zone is known for this number's prefix; times are given in UTC only.",
        )
    if len(zones) == 1:
        return RecipientZone(zones[0], tuple(zones), f"From the number's prefix: {zones[0]}.")
    return RecipientZone(
        zones[0],
        tuple(zones),
        f"The number's prefix spans {len(zones)} time zones ({', '.join(zones)}); local times "
        f"use the first, {zones[0]}.",
    )


def _local(value: datetime | None, zone: RecipientZone) -> str | None:
    if value is None or zone.name is None:
        return None
    return value.astimezone(ZoneInfo(zone.name)).isoformat()


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


def _messages_by_event(events: list[ConsentEvent]) -> dict[int, list[dict]]:
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
        if not items and e.details.get("text"):
            # The text as the event recorded it, when the message log no longer has it.
            items.append({"direction": "inbound", "message_sid": sid, "body": e.details["text"]})
        found[e.pk] = items
    return found


def phone_replies(*, number: str) -> list[dict]:
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


def _lead_names_now(ids: Iterable[int]) -> dict[int, str]:
    return lead_directory().labels(i for i in ids if i is not None)


def phone_evidence(*, number: str, generated_by: str = "") -> dict:
    """The evidence bundle of a number typed in any form (raises InvalidPhoneNumber).

    Reads every event of the number (the history is evidence: nothing is left out), the list
    row, the leads, the SMS that caused events, and verifies the chain, in a handful of queries.
    """
    e164 = phone_normalize(number)
    now = timezone.now()
    zone = recipient_zone(number=e164)
    events = list(phone_events_chained(number=e164))
    verification = phone_chain_verification(number=e164)
    checks = {check.id: check for check in verification.checks}
    messages = _messages_by_event(events)
    names_now = _lead_names_now({e.lead_id for e in events})
    status = phone_status(number=e164)
    row = status.optout
    items = []
    for e in events:
        fields = event_fields(e)
        check = checks.get(e.pk)
        item = {name: fields[name] for name in CANONICAL_FIELDS}
        item["created_at"] = chain_time(e.created_at)
        item.update(
            {
                "created_at_local": _local(e.created_at, zone),
                "action_label": ACTION_LABELS.get(e.action, e.action),
                "source_label": SOURCE_LABELS.get(e.source, ""),
                "previous_source_label": SOURCE_LABELS.get(e.previous_source, ""),
                "channel_label": CHANNEL_LABELS.get(e.channel, e.channel),
                "lead_label_now": names_now.get(e.lead_id) if e.lead_id is not None else None,
                "note": str(e.details.get("note", "")),
                "consent_evidence": str(e.details.get("consent_evidence", "")),
                "messages": messages.get(e.pk, []),
                "chain_hash": e.chain_hash,
                "chain_ok": bool(check and check.ok),
                "canonical": check.canonical if check else "",
            }
        )
        items.append(item)
    first = verification.first_broken
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "phone_number": e164,
        "national": phone_format_national(e164),
        "generated_at": chain_time(now),
        "generated_by": generated_by,
        "recipient_time_zone": zone.as_dict(),
        "list_row_now": {
            "sms_opted_out": status.sms_opted_out,
            "source": row.source if row else None,
            "channel": row.channel if row else None,
            "opted_out_at": _utc(row.opted_out_at) if row else None,
            "opted_out_at_local": _local(row.opted_out_at, zone) if row else None,
            "actor_id": row.actor_id if row else None,
            "actor_label": row.actor_label if row else "",
            "lead_id": row.lead_id if row else None,
            "lead_label": row.lead_label if row else "",
            "note": row.note if row else "",
        },
        "leads_now": [
            {"id": ref.id, "label": ref.label}
            for ref in lead_refs_by_number(numbers=[e164]).get(e164, [])
        ],
        "chain": {
            "version": CHAIN_VERSION,
            "algorithm": CHAIN_ALGORITHM,
            "canonical_fields": list(CANONICAL_FIELDS),
            "seed": verification.seed,
            "head": verification.head,
        },
        "verification": {
            "status": "ok" if verification.ok else "broken",
            "events": len(verification.checks),
            "head": verification.head,
            "first_broken_id": first.id if first else None,
            "broken": [
                {"id": c.id, "reason": c.reason, "detail": REASON_SENTENCES[c.reason]}
                for c in verification.broken
            ],
            "summary": verification.summary(),
        },
        "events": items,
        "replies": phone_replies(number=e164),
    }
