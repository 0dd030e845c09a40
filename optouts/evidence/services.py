"""The evidence writes: consent events with their chain hash, sealing, and signed anchors.

An event's hash covers its id and the previous event's hash (optouts/evidence/chain.py), so it is
computed before the insert from ids reserved up front, under the number's lock (the callers hold
it: optouts/services/consent.py), in the same transaction as the event. Nothing here rewrites an
event: an event written without a hash (by a process older than migration 0007 during a deploy,
or a raw bulk load) is *sealed* once, setting only its empty hash, which is all the database's
triggers let through.

An anchor (optouts/evidence/anchors.py) signs every number's chain head at once, outside the
database; it is written only when the database still holds what the previous anchor signed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from optouts.evidence.anchors import (
    ANCHOR_FORMAT,
    ANCHOR_VERSION,
    TREE,
    anchor_hash,
    anchor_sign,
    signing_key_required,
    trusted_public_keys,
)
from optouts.evidence.chain import (
    CANONICAL_FIELDS,
    chain_link,
    chain_seal,
    chain_seed,
    chain_time,
    events_canonical,
)
from optouts.evidence.merkle import MerkleRoot
from optouts.evidence.selectors import (
    DELETED,
    REWRITTEN,
    TRUNCATED,
    AnchorRef,
    Survey,
    evidence_reports,
    evidence_snapshot,
)
from optouts.evidence.store import (
    AnchorStore,
    anchor_store,
    anchors_check,
    leaves_gzip,
    leaves_name,
)
from optouts.models import ConsentEvent
from velocify_sms.db_arrays import array_param, in_values
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


def _chain_heads(numbers: list[str], *, reserve: int = 0) -> tuple[dict[str, str], list[int]]:
    """{number: the hash of its last event} for those of `numbers` that have events, and
    `reserve` new event ids (see _event_ids_reserve).

    One query per chunk on PostgreSQL, the ids read by the first chunk's (an API opt-out's
    events cost one round trip, not two); two queries elsewhere (the last id per number, then
    those events' hashes), and the ids apart. A number whose last event has no hash (written
    by an older process) is sealed first, so the chain goes on from every event that exists.
    """
    heads: dict[str, str] = {}
    unsealed: list[str] = []
    ids: list[int] = []
    for chunk in _chunks(numbers):
        last, reserved = _last_hashes(chunk, reserve=reserve - len(ids))
        ids += reserved
        for number, digest in last:
            if digest:
                heads[number] = digest
            else:
                unsealed.append(number)
    if len(ids) < reserve:  # no numbers, or not on PostgreSQL
        ids += _event_ids_reserve(reserve - len(ids))
    if unsealed:
        heads.update(_seal_rows(sorted(unsealed))[0])
    return heads, ids


def _last_hashes(
    numbers: list[str], *, reserve: int = 0
) -> tuple[Iterable[tuple[str, str]], list[int]]:
    """(number, hash of its last event) for those of `numbers` that have events, and on
    PostgreSQL `reserve` new event ids, ascending (elsewhere none: the caller reserves them)."""
    if connection.vendor == "postgresql":
        # One statement, one probe of event_number_idx (phone_number, id) per number; the ORM
        # form below costs a second round trip and more time compiling than PostgreSQL runs it.
        # The ids come in the same statement, as rows without a number.
        meta = ConsentEvent._meta
        table = connection.ops.quote_name(meta.db_table)
        sql = (
            "SELECT n, e.chain_hash, NULL::bigint FROM unnest(%s::text[]) AS n CROSS JOIN LATERAL ("  # noqa: S608
            f"  SELECT chain_hash FROM {table} WHERE phone_number = n ORDER BY id DESC LIMIT 1"
            ") AS e"
        )
        params: list = [array_param(numbers)]
        if reserve:
            sql += (
                " UNION ALL SELECT NULL, NULL, nextval(pg_get_serial_sequence(%s, %s))"
                " FROM generate_series(1, %s)"
            )
            params += [meta.db_table, meta.pk.column, reserve]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        last = [(number, digest) for number, digest, pk in rows if pk is None]
        return last, sorted(pk for _, _, pk in rows if pk is not None)
    last_ids = (
        ConsentEvent.objects.filter(phone_number__in=numbers)
        .values("phone_number")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    last = ConsentEvent.objects.filter(id__in=list(last_ids)).values_list(
        "phone_number", "chain_hash"
    )
    return last, []


def consent_events_insert(*, events: list[ConsentEvent]) -> None:
    """Insert new events (pk unset) with their ids and chain hashes, as one statement.

    The caller holds the lock of every number in `events` (phone_numbers_lock) inside its
    transaction, so no other event of those numbers can come between the head read here and the
    insert. Events of one number are chained in list order.
    """
    if not events:
        return
    heads, ids = _chain_heads(sorted({event.phone_number for event in events}), reserve=len(events))
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
    for event, canonical in zip(events, events_canonical(events=events), strict=True):
        number = event.phone_number
        previous = heads.get(number) or chain_seed(number=number)
        event.chain_hash = chain_link(previous=previous, canonical=canonical)
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
    migration 0007 during a deploy, or by raw bulk loads. Each chunk of numbers is sealed in its
    own transaction under those numbers' locks, so live writes wait and then chain on top.
    """
    numbers = list(
        ConsentEvent.objects.filter(chain_hash="")
        .order_by("phone_number")
        .values_list("phone_number", flat=True)
        .distinct()[:limit]
    )
    # Imported here: optouts.services imports this module (consent writes chain their events).
    from optouts.services.locks import phone_numbers_lock

    sealed = 0
    for chunk in _chunks(numbers):
        with transaction.atomic():
            phone_numbers_lock(numbers=chunk)
            sealed += _seal_rows(chunk)[1]
    return sealed


# --- Anchors ---------------------------------------------------------------------------------


class AnchorRefused(Exception):
    """The database or the anchors no longer hold what the last anchor signed: anchoring now
    would sign the damage, so nothing is written."""

    def __init__(self, message: str, *, survey: Survey | None = None) -> None:
        super().__init__(message)
        self.survey = survey


@dataclass(frozen=True)
class AnchorWritten:
    """The anchor written, and the survey of every number taken on the way (list problems do not
    stop an anchor: the anchor signs the events, and the verifier reports the list)."""

    payload: dict
    survey: Survey


def _damaged(survey: Survey) -> list[str]:
    return [
        line
        for report in survey.problems
        if not report.chain_ok or report.anchor_state in (DELETED, TRUNCATED, REWRITTEN)
        for line in report.lines()
        if not line.startswith("LIST ")
    ]


def evidence_anchor_write(
    *, store: AnchorStore | None = None, now: datetime | None = None
) -> AnchorWritten:
    """Seal what is unsealed, check every number against the latest anchor, and sign and store
    the next anchor: the Merkle root of every number's chain head now.

    Refuses (AnchorRefused) when the stored anchors do not check out or when a number's chain
    is broken or no longer passes through the head the latest anchor signed: an anchor then
    would make a rewrite look like history.
    """
    key = signing_key_required()
    consent_events_seal(limit=10**9)
    store = store or anchor_store()
    anchors = anchors_check(store=store, keys=trusted_public_keys())
    if not anchors.ok:
        raise AnchorRefused("; ".join(anchors.problems))
    latest = anchors.latest
    sequence = latest["sequence"] + 1 if latest else 1
    reference = AnchorRef(latest, store.leaves(latest)) if latest else None
    survey, tree, last_id = Survey(), MerkleRoot(), 0
    handle, path = tempfile.mkstemp(prefix="anchor-leaves-", suffix=".gz")
    try:
        with os.fdopen(handle, "wb") as target, evidence_snapshot():
            taken_at = now or timezone.now()

            def lines():
                nonlocal last_id
                for report in evidence_reports(anchor=reference):
                    survey.add(report)
                    leaf = report.leaf
                    if leaf is not None:
                        tree.add(leaf.digest)
                        last_id = max(last_id, leaf.last_id)
                        yield leaf.line

            leaves_gzip(lines(), target)
        if survey.damaged:
            shown = "; ".join(_damaged(survey)[:3])
            raise AnchorRefused(
                f"{survey.damaged:,} numbers no longer match their chain or the latest anchor "
                f"({shown})",
                survey=survey,
            )
        root = tree.root().hex()
        same = latest is not None and latest["merkle_root"] == root
        payload = {
            "format": ANCHOR_FORMAT,
            "version": ANCHOR_VERSION,
            "sequence": sequence,
            "created_at": chain_time(taken_at),
            "numbers": tree.size,
            "events": survey.events,
            "last_event_id": last_id,
            "merkle_root": root,
            "tree": TREE,
            # Nothing changed since the last anchor: its leaves are these leaves.
            "leaves_file": latest["leaves_file"] if same else leaves_name(sequence),
            "previous_anchor": anchor_hash(latest) if latest else None,
        }
        document = anchor_sign(payload=payload, key=key)
        store.write(sequence=sequence, document=document, leaves=None if same else path)
        return AnchorWritten(payload=document["anchor"], survey=survey)
    finally:
        os.unlink(path)
