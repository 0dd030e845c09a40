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
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.utils import timezone
from phonenumbers import timezone as phone_timezones

from optouts.evidence.chain import (
    CANONICAL_FIELDS,
    CHAIN_ALGORITHM,
    CHAIN_VERSION,
    REASON_SENTENCES,
    chain_time,
    event_fields,
)
from optouts.evidence.proof import phone_anchor_proof
from optouts.evidence.selectors import phone_events_chained
from optouts.lead_directory import lead_directory
from optouts.models import Channel, ConsentEvent, EventAction, Source
from optouts.selectors import lead_refs_by_number, phone_status
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


# The SMS that caused each event, and the webhook's answers, are the SMS channel's
# (optouts.messaging), a layer above this package: it hands its log over in the app's ready()
# (optouts/apps.py). Without it (the channel not wired) a bundle has the events' own text only.
class MessageLog(Protocol):
    def by_event(self, events: list[ConsentEvent]) -> dict[int, list[dict]]:
        """{event id: [the SMS that caused it, and the answer sent to it]}."""

    def replies(self, number: str) -> list[dict]:
        """Every answer the webhook sent to the number, with the text it answered."""


class _NoMessages:
    def by_event(self, events: list[ConsentEvent]) -> dict[int, list[dict]]:
        return {}

    def replies(self, number: str) -> list[dict]:
        return []


_log: MessageLog = _NoMessages()


def message_log_set(log: MessageLog) -> None:
    """Called once by the app's ready()."""
    global _log
    _log = log


def _messages_by_event(events: list[ConsentEvent]) -> dict[int, list[dict]]:
    found = _log.by_event(events)
    for e in events:
        items = found.setdefault(e.pk, [])
        if not items and e.details.get("text"):
            # The text as the event recorded it, when the message log no longer has it.
            sid = str(e.details.get("message_sid") or "")
            items.append({"direction": "inbound", "message_sid": sid, "body": e.details["text"]})
    return found


def _lead_names_now(ids: Iterable[int]) -> dict[int, str]:
    return lead_directory().labels(i for i in ids if i is not None)


def phone_evidence(*, number: str, generated_by: str = "") -> dict:
    """The evidence bundle of a number typed in any form (raises InvalidPhoneNumber).

    Reads every event of the number (the history is evidence: nothing is left out), the list
    row, the leads, the SMS that caused events, verifies the chain and the list row against it,
    and proves the history against the latest signed anchor (`anchor`).
    """
    e164 = phone_normalize(number)
    now = timezone.now()
    zone = recipient_zone(number=e164)
    events = list(phone_events_chained(number=e164))
    report, anchor = phone_anchor_proof(number=e164)
    verification = report.chain
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
            "list": report.list_problem or "The list row is what the events say.",
            "findings": report.lines(),
        },
        "anchor": anchor,
        "events": items,
        "replies": _log.replies(e164),
    }
