"""Writing consent events with their evidence-chain hash (optouts/chain.py says what it is).

An event's hash covers its id and the previous event's hash, so it is computed before the insert
from ids reserved up front, under the number's lock (the callers hold it: consent.py), in the
same transaction as the event. Nothing here rewrites an event: an event written without a hash
(by a process older than migration 0006 during a deploy, or a raw bulk load) is *sealed* once,
setting only its empty hash, which is all the PostgreSQL trigger lets through.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max

from optouts.chain import CANONICAL_FIELDS, chain_link, chain_seal, chain_seed, event_canonical
from optouts.chain import event_fields as _fields
from optouts.models import ConsentEvent
from optouts.services.locks import phone_numbers_lock
from velocify_sms.db_arrays import in_values
from velocify_sms.db_copy import copy_rows

# Numbers per query when reading chain heads or sealing (well below SQLite's variable limit).
_CHUNK = 2000

_INSERT_FIELDS = [
    f.attname for f in ConsentEvent._meta.concrete_fields if not f.primary_key
]  # evaluated once: the model's columns, in order


def _event_ids_reserve(count: int) -> list[int]:
    """`count` new event ids, ascending, that no other writer will use.

    PostgreSQL: from the table's sequence (as velocify_sms.db_copy does for COPY). SQLite: after
    the largest id; the settings open every transaction with BEGIN IMMEDIATE, so no other writer
    runs between this read and the insert.
    """
    meta = ConsentEvent._meta
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
    last = ConsentEvent.objects.aggregate(last=Max("id"))["last"] or 0
    return list(range(last + 1, last + 1 + count))


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _seal_rows(numbers: list[str]) -> tuple[dict[str, str], int]:
    """Seal the unsealed events of `numbers` (locked by the caller).

    Returns ({number: head hash}, how many events were sealed).
    """
    heads: dict[str, str] = {}
    sealed: list[tuple[str, int]] = []
    for chunk in _chunks(numbers):
        rows = (
            ConsentEvent.objects.filter(in_values("phone_number", chunk))
            .order_by("phone_number", "id")
            .values_list(*CANONICAL_FIELDS, "chain_hash")
        )
        ordered = [
            (dict(zip(CANONICAL_FIELDS, row[:-1], strict=True)), row[-1])
            for row in rows.iterator(chunk_size=_CHUNK)
        ]
        new = dict(chain_seal(ordered))
        for fields, stored in ordered:
            heads[fields["phone_number"]] = stored or new[fields["id"]]
        sealed.extend((digest, pk) for pk, digest in new.items())
    if sealed:
        table = connection.ops.quote_name(ConsentEvent._meta.db_table)
        with connection.cursor() as cursor:
            # Raw SQL: the model refuses every update of an event; this one only fills an empty
            # hash (`AND chain_hash = ''`), which the trigger allows once.
            cursor.executemany(
                f"UPDATE {table} SET chain_hash = %s WHERE id = %s AND chain_hash = ''",  # noqa: S608
                sealed,
            )
    return heads, len(sealed)


def _chain_heads(numbers: list[str]) -> dict[str, str]:
    """{number: the hash of its last event} for those of `numbers` that have events.

    One query per chunk on PostgreSQL, two elsewhere (the last id per number, then those events'
    hashes). A number whose last event has no hash (written by an older process) is sealed
    first, so the chain goes on from every event that exists.
    """
    heads: dict[str, str] = {}
    unsealed: list[str] = []
    for chunk in _chunks(numbers):
        for number, digest in _last_hashes(chunk):
            if digest:
                heads[number] = digest
            else:
                unsealed.append(number)
    if unsealed:
        heads.update(_seal_rows(sorted(unsealed))[0])
    return heads


def _last_hashes(numbers: list[str]) -> Iterable[tuple[str, str]]:
    """(number, hash of its last event) for those of `numbers` that have events."""
    if connection.vendor == "postgresql":
        # One statement, one probe of event_number_idx (phone_number, id) per number; the ORM
        # form below costs a second round trip and more time compiling than PostgreSQL runs it.
        table = connection.ops.quote_name(ConsentEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n, e.chain_hash FROM unnest(%s::text[]) AS n CROSS JOIN LATERAL ("  # noqa: S608
                f"  SELECT chain_hash FROM {table} WHERE phone_number = n ORDER BY id DESC LIMIT 1"
                ") AS e",
                [numbers],
            )
            return cursor.fetchall()
    last_ids = (
        ConsentEvent.objects.filter(phone_number__in=numbers)
        .values("phone_number")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return ConsentEvent.objects.filter(id__in=list(last_ids)).values_list(
        "phone_number", "chain_hash"
    )


def consent_events_insert(*, events: list[ConsentEvent]) -> None:
    """Insert new events (pk unset) with their ids and chain hashes, as one statement.

    The caller holds the lock of every number in `events` (phone_numbers_lock) inside its
    transaction, so no other event of those numbers can come between the head read here and the
    insert. Events of one number are chained in list order.
    """
    if not events:
        return
    ids = _event_ids_reserve(len(events))
    heads = _chain_heads(sorted({event.phone_number for event in events}))
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        number = event.phone_number
        previous = heads.get(number) or chain_seed(number=number)
        event.chain_hash = chain_link(
            previous=previous, canonical=event_canonical(fields=_fields(event))
        )
        heads[number] = event.chain_hash
    copy_rows(
        ConsentEvent,
        ["id", *_INSERT_FIELDS],
        [(event.pk, *(getattr(event, name) for name in _INSERT_FIELDS)) for event in events],
    )
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias


def consent_events_seal(*, limit: int = 10_000) -> int:
    """Seal up to `limit` numbers' events that have no chain hash yet; returns events sealed.

    For events written without a hash: by processes still running the code from before
    migration 0006 during a deploy, or by raw bulk loads. Each chunk of numbers is sealed in its
    own transaction under those numbers' locks, so live writes wait and then chain on top.
    """
    numbers = list(
        ConsentEvent.objects.filter(chain_hash="")
        .order_by("phone_number")
        .values_list("phone_number", flat=True)
        .distinct()[:limit]
    )
    sealed = 0
    for chunk in _chunks(numbers):
        with transaction.atomic():
            phone_numbers_lock(numbers=chunk)
            sealed += _seal_rows(chunk)[1]
    return sealed
