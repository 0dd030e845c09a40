"""Big demo and benchmark data, fast: `seed_demo --leads N --optouts N`.

A million calls of the lead writer or the consent services take hours, so leads are written
straight to their tables, and opt-outs through the consent core's bulk service for back-dated
history (optouts.services.optouts_backdated_write), which writes each list row, its roll-up count
and its chained event as every opt-out is written. What the services guarantee is kept:
- every bulk number is a valid E.164 US number (NXX exchange 200-499, so never a demo `555`
  number), one mobile phone per bulk lead;
- every opt-out list entry gets exactly one `opt_out` consent event with the same source, time,
  actor, lead and note, so replaying the events gives the list;
- reruns only add rows that do not exist yet and never change existing ones (the rule of
  seed_demo): bulk leads continue after the highest `bulk-NNNNNNNN` (a deleted one is not made
  again), and a bulk opt-out is skipped when its number has any consent history (on the list or
  any event), so a number someone opted in is never opted out again.

Rows go through velocify_sms.db_copy (COPY on PostgreSQL, bulk_create elsewhere), in committed
chunks of CHUNK rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from leads.directory import lead_label
from leads.models import Lead, LeadPhone
from optouts.lead_directory import LeadRef
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import BackdatedOptOut, optouts_backdated_write
from velocify_sms.db_copy import copy_insert, copy_rows

CHUNK = 100_000
AREAS = ["415", "212", "312", "617", "206", "512", "303", "404"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon"]
LAST = ["Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Lee", "Moreau", "Silva"]
# Opt-outs beyond the bulk leads use numbers of no lead, from this index on.
NO_LEAD_OFFSET = 20_000_000
BULK_NOTE = "bulk demo data"
SOURCE_CHANNEL = [
    (Source.AGENT, Channel.UI),
    (Source.CONTACT, Channel.KEYWORD),
    (Source.SYSTEM, Channel.CARRIER),
]

# What each source's event says, as a keyword or a carrier callback would.
DETAILS = {
    Source.AGENT: {},
    Source.CONTACT: {"keyword": "STOP"},
    Source.SYSTEM: {"error_code": "21610"},
}

Progress = Callable[[str, int, int], None]


def bulk_number(index: int) -> str:
    """The E.164 number of bulk index `index` (distinct for 0 <= index < 24,000,000)."""
    area = AREAS[(index // 3_000_000) % len(AREAS)]
    exchange = 200 + (index // 10_000) % 300
    return f"+1{area}{exchange}{index % 10_000:04d}"


def bulk_leads_ensure(*, count: int, agent=None, progress: Progress | None = None) -> int:
    """Make sure bulk leads up to index `count` were made (one mobile number each); returns how
    many added. Continues after the highest bulk external id, so it never collides with one."""
    last = (
        Lead.objects.filter(external_id__regex=r"^bulk-[0-9]{8}$")
        .order_by("-external_id")
        .values_list("external_id", flat=True)
        .first()
    )
    existing = int(last[5:]) + 1 if last else 0
    now = timezone.now()
    rng = random.Random(8)
    added = 0
    if progress and existing < count:
        progress("leads", existing, count)  # the bar (and its clock) starts before the work
    for start in range(existing, count, CHUNK):
        stop = min(start + CHUNK, count)
        n = stop - start
        with transaction.atomic():
            leads = [
                Lead(
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    email=f"bulk{start + k}@example.com",
                    status=Lead.Status.NEW,
                    assigned_agent=agent,
                    external_id=f"bulk-{start + k:08d}",
                    created_at=now,
                    updated_at=now,
                )
                for k in range(n)
            ]
            copy_insert(leads)
            copy_rows(
                LeadPhone,
                ["lead_id", "number", "kind"],
                [(lead.pk, bulk_number(start + k), "mobile") for k, lead in enumerate(leads)],
            )
        added += n
        if progress:
            progress("leads", stop, count)
    return added


def bulk_optouts_ensure(*, count: int, actor=None, progress: Progress | None = None) -> int:
    """Make sure bulk opt-outs 0..`count`-1 were made, each with its one opt-out event; returns
    how many added.

    Opt-out j takes the number of bulk lead j while there is one, else a number of no lead;
    the source cycles agent, contact, system; the time is spread over the last year. A number
    with any consent history (made by an earlier run, or opted out or in since) is skipped.
    """
    now = timezone.now()
    rng = random.Random(9)
    added = 0
    if progress and count:
        progress("opt-outs", 0, count)  # the bar (and its clock) starts before the work
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        # A range on the unique external_id index (the ids are zero-padded, so they sort).
        leads = {
            external_id: LeadRef(
                pk, lead_label(first_name=first, last_name=last, email=email, lead_id=pk)
            )
            for external_id, pk, first, last, email in Lead.objects.filter(
                external_id__gte=f"bulk-{start:08d}", external_id__lt=f"bulk-{stop:08d}"
            ).values_list("external_id", "id", "first_name", "last_name", "email")
        }
        # Opt-out j is done when either number it may take has history (its bulk lead may have
        # been deleted since the run that made it).
        candidates = [(bulk_number(j), bulk_number(NO_LEAD_OFFSET + j)) for j in range(start, stop)]
        with_history = _numbers_with_history([n for pair in candidates for n in pair])
        rows = []
        for j, (own, free) in zip(range(start, stop), candidates, strict=True):
            source, channel = SOURCE_CHANNEL[j % 3]
            lead = leads.get(f"bulk-{j:08d}")
            number = own if lead else free
            when = now - timedelta(seconds=rng.randint(60, 365 * 86400))
            if own in with_history or free in with_history:
                continue
            rows.append(
                BackdatedOptOut(
                    number=number,
                    source=source.value,
                    channel=channel.value,
                    at=when,
                    actor=actor if source == Source.AGENT else None,
                    lead=lead,
                    details=DETAILS[source],
                )
            )
        # Rows, roll-up and chained events in one transaction, as every opt-out is written.
        written = optouts_backdated_write(entries=rows, note=BULK_NOTE)
        added += written
        if progress:
            progress("opt-outs", stop, count)
    return added


def _numbers_with_history(numbers: list[str]) -> set[str]:
    """Those of `numbers` on the list or in any event. A chunk's numbers are a few runs of
    consecutive numbers, so ranges on the two number indexes find them without a 100,000-item IN.
    """
    found: set[str] = set()
    by_area: dict[str, list[str]] = {}
    for number in numbers:
        by_area.setdefault(number[:5], []).append(number)
    wanted = set(numbers)
    for group in by_area.values():
        low, high = min(group), max(group)
        for model in (OptOut, ConsentEvent):
            found.update(
                n
                for n in model.objects.filter(phone_number__gte=low, phone_number__lte=high)
                .values_list("phone_number", flat=True)
                .distinct()
                if n in wanted
            )
    return found
