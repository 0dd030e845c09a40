"""Back-dated opt-outs in bulk: history made up for numbers that have none (demo and benchmark
data), written the way every opt-out is.

A million calls of the intent-named services take hours, and each stamps the present time. This
writes a whole batch in one transaction, yet builds each list row, its roll-up count and its
chained event with the same pieces `opt_out_apply` uses (optouts.services.apply), so the two
cannot drift: the row's note is in its event's details, the lead and actor are named alike, and
the events are chained (optouts.evidence). The rules still decide (a number with no history
takes the requested source, docs/rules.md).

Only numbers without any consent history are written: an event dated before a number's existing
events would break the order its history is read and chained in, and a number someone opted in
must not be opted out again behind their back. Such numbers are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from optouts.evidence.services import consent_events_insert
from optouts.lead_directory import LeadRef, lead_directory
from optouts.models import ConsentEvent, OptOut
from optouts.services.apply import _OPT_OUT_FIELDS, ConsentRequest, opt_out_written
from optouts.services.locks import phone_numbers_lock
from optouts.services.rollup import RollupChange, optout_rollup_add
from optouts.services.rules import opt_out_decision
from velocify_sms.db_arrays import in_values
from velocify_sms.db_copy import copy_rows


@dataclass(frozen=True)
class BackdatedOptOut:
    """One opt-out as it would have been written at `at`. `number` is already E.164."""

    number: str
    source: str
    channel: str
    at: datetime
    actor: object = None
    lead: LeadRef | None = None
    details: dict = field(default_factory=dict)


def optouts_backdated_write(*, entries: Sequence[BackdatedOptOut], note: str = "") -> int:
    """Put each entry's number on the list as of its time, with its roll-up count and its
    chained opt-out event, in one transaction; `note` goes on every row and event. Numbers with
    any consent history (on the list or in any event) and repeats are skipped. Returns how many
    were written."""
    numbers = sorted({entry.number for entry in entries})
    if not numbers:
        return 0
    with transaction.atomic():
        # Exclusive, as every consent write: nothing can give a number history meanwhile.
        phone_numbers_lock(numbers=numbers)
        taken = _numbers_with_history(numbers)
        rows, events = [], []
        rollup = RollupChange()
        for entry in entries:
            if entry.number in taken:
                continue
            taken.add(entry.number)
            source = opt_out_decision(current=None, requested=entry.source)
            request = ConsentRequest(
                channel=entry.channel, actor=entry.actor, note=note, details=entry.details
            )
            fields, event = opt_out_written(
                number=entry.number,
                source=source,
                previous=None,
                request=request,
                at=entry.at,
                note=note,
                lead=entry.lead,
            )
            rows.append((entry.number, *(fields[name] for name in _OPT_OUT_FIELDS)))
            rollup.added(at=entry.at, source=source)
            events.append(event)
        copy_rows(OptOut, ["phone_number", *_OPT_OUT_FIELDS], rows)
        lead_directory().listing_changed((row[0] for row in rows), on_list=True)
        consent_events_insert(events=events)
        optout_rollup_add(change=rollup)
    return len(rows)


# Numbers per look-up (well below SQLite's variable limit).
_CHUNK = 2000


def _numbers_with_history(numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), _CHUNK):
        chunk = in_values("phone_number", numbers[start : start + _CHUNK])
        found.update(OptOut.objects.filter(chunk).values_list("phone_number", flat=True))
        found.update(
            ConsentEvent.objects.filter(chunk).values_list("phone_number", flat=True).distinct()
        )
    return found
