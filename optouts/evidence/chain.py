"""The evidence chain over one number's consent events: a canonical form and a SHA-256 link.

Pure functions, no database: optouts/evidence/services.py uses them to write each event's
`chain_hash`, the evidence export and `manage.py sms_evidence_verify` to check it, and the
migration that introduced the chain (optouts 0007) to backfill. Anyone can recompute the chain
without this app (docs/compliance.md, "Evidence"):

    canonical_i = JSON of the event's stored columns CANONICAL_FIELDS, keys sorted, no spaces
                  (",", ":"), non-ASCII as is (UTF-8), created_at in UTC as
                  "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    hash_0      = sha256(UTF-8 of the E.164 number), as 64 lowercase hex digits (the seed)
    hash_i      = sha256(hash_{i-1} as its 64 hex ASCII characters || UTF-8 of canonical_i)

over the number's events in id order. For the values events hold (strings, integers, booleans,
null), that JSON is the RFC 8785 (JCS) form as well.

Why the previous hash and not only the row: editing, removing or reordering any event changes
every hash after it, so a head kept outside the database (a signed anchor,
optouts/evidence/anchors.py) pins the whole history up to it.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CHAIN_VERSION = 1
CHAIN_ALGORITHM = "sha256(previous hash hex || canonical event JSON), seed sha256(E.164 number)"
CANONICAL_FIELDS = (
    "id",
    "phone_number",
    "action",
    "source",
    "previous_source",
    "channel",
    "actor_id",
    "actor_label",
    "lead_id",
    "lead_label",
    "created_at",
    "details",
)
_TEXT_FIELDS = frozenset(
    {"phone_number", "action", "source", "previous_source", "channel", "actor_label", "lead_label"}
)
_INT_FIELDS = frozenset({"id", "actor_id", "lead_id"})


def chain_seed(*, number: str) -> str:
    """The hash before a number's first event: sha256 of its E.164 text."""
    return hashlib.sha256(number.encode("utf-8")).hexdigest()


def chain_time(value: datetime) -> str:
    """An event time as the chain writes it: UTC, always six fraction digits, `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def event_canonical(*, fields: Mapping[str, Any], from_database: bool = False) -> str:
    """The canonical JSON text of one event, from its stored column values.

    `details` goes through a JSON round trip first, so the hash written from the Python dict at
    insert equals the one computed from the value read back (tuples become lists, and so on);
    a value just read back from the database is JSON already (`from_database`: no round trip).
    """
    values: dict[str, Any] = {}
    for name in CANONICAL_FIELDS:
        value = fields[name]
        if name in _TEXT_FIELDS:
            value = str(value or "")
        elif name in _INT_FIELDS:
            value = None if value is None else int(value)
        elif name == "created_at":
            value = value if isinstance(value, str) else chain_time(value)
        elif name == "details":
            value = value if value is not None else {}
            if not from_database:
                value = json.loads(json.dumps(value))
        values[name] = value
    return _json(values)


_text = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str


def _id(value: Any) -> str:
    return "null" if value is None else str(int(value))


def row_canonical(row: tuple) -> str:
    """event_canonical of a row read for verification: the CANONICAL_FIELDS in order, then
    anything, `created_at` already in chain_time's form and `details` decoded JSON.

    The same text as event_canonical, written out key by key (sorted) instead of through
    json.dumps of a dict: the verifier of every number runs it a million times.
    """
    details = row[11]
    return _row_text(row, _json(details if details is not None else {}))


def _row_text(row: tuple, details: str) -> str:
    """row_canonical's text, `details` given as its canonical JSON."""
    (pk, number, action, source, previous_source, channel, actor_id, actor_label) = row[:8]
    lead_id, lead_label, created_at = row[8:11]
    return (
        f'{{"action":{_text(action or "")},"actor_id":{_id(actor_id)},'
        f'"actor_label":{_text(actor_label or "")},"channel":{_text(channel or "")},'
        f'"created_at":{_text(created_at)},"details":{details},'
        f'"id":{_id(pk)},"lead_id":{_id(lead_id)},"lead_label":{_text(lead_label or "")},'
        f'"phone_number":{_text(number or "")},"previous_source":{_text(previous_source or "")},'
        f'"source":{_text(source or "")}}}'
    )


_columns = operator.attrgetter(*CANONICAL_FIELDS[:10])


def events_canonical(*, events: Iterable[Any]) -> list[str]:
    """event_canonical of each of `events` (objects with the CANONICAL_FIELDS as attributes:
    new ConsentEvents), the same text, written key by key as row_canonical writes it.

    A batch's events share their time and mostly their details, so each distinct time and
    details text is converted once: for an import's thousands of events event_canonical's
    JSON round trip and time formatting per event cost three times the rest. An event with a
    value row_canonical does not take (text that is not a str) goes through event_canonical.
    """
    times: dict[object, str] = {}
    details_json: dict[str, str] = {}
    texts = []
    for event in events:
        created = event.created_at
        when = created if isinstance(created, str) else times.get(created)
        if when is None:
            when = times[created] = chain_time(created)
        details = event.details if event.details is not None else {}
        raw = json.dumps(details)
        canonical_details = details_json.get(raw)
        if canonical_details is None:
            # json.loads first, as event_canonical does (tuples become lists, and so on).
            canonical_details = details_json[raw] = _json(json.loads(raw))
        try:
            texts.append(_row_text((*_columns(event), when), canonical_details))
        except TypeError:
            texts.append(event_canonical(fields=event_fields(event)))
    return texts


def chain_rows_ok(*, number: str, rows: Iterable[tuple]) -> bool:
    """Whether rows (as row_canonical reads them, the stored hash last) chain from the seed,
    each on the stored hash of the one before: chain_verify's verdict without its details."""
    previous = chain_seed(number=number)
    for row in rows:
        stored = row[-1]
        if not stored or stored != chain_link(previous=previous, canonical=row_canonical(row)):
            return False
        previous = stored
    return True


def chain_link(*, previous: str, canonical: str) -> str:
    """hash_i from hash_{i-1} and canonical_i.

    "surrogatepass": a lone surrogate that reached a note through a JSON body is hashed as
    stored rather than failing the consent write (PostgreSQL refuses it earlier anyway).
    """
    data = previous.encode("ascii") + canonical.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def event_fields(event: Any) -> dict[str, Any]:
    """The canonical columns of a ConsentEvent instance (or any object with those attributes)."""
    return {name: getattr(event, name) for name in CANONICAL_FIELDS}


# --- Verification -------------------------------------------------------------------------------

REASON_MISSING = "missing"
REASON_MISMATCH = "mismatch"
REASON_SENTENCES = {
    REASON_MISSING: (
        "No chain hash is stored for this event: it was written without one (by a process older "
        "than the evidence chain, or a raw bulk load) and never sealed (manage.py "
        "sms_evidence_seal)."
    ),
    REASON_MISMATCH: (
        "The stored chain hash does not match this event's contents and the previous event's "
        "hash: this event was changed, or the one before it, or an event between them was "
        "removed."
    ),
}


@dataclass(frozen=True)
class EventCheck:
    """One event's place in the chain: its stored hash and whether it links to the one before."""

    id: int
    canonical: str
    stored_hash: str
    expected_hash: str

    @property
    def ok(self) -> bool:
        return self.stored_hash == self.expected_hash

    @property
    def reason(self) -> str:
        if self.ok:
            return ""
        return REASON_MISSING if not self.stored_hash else REASON_MISMATCH


@dataclass(frozen=True)
class ChainVerification:
    """The verdict on one number's chain."""

    phone_number: str
    seed: str
    checks: tuple[EventCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def broken(self) -> tuple[EventCheck, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def first_broken(self) -> EventCheck | None:
        return next((check for check in self.checks if not check.ok), None)

    @property
    def head(self) -> str:
        """The last event's stored hash (the seed for a number with no event)."""
        return self.checks[-1].stored_hash if self.checks else self.seed

    def summary(self) -> str:
        """One line: OK with the head hash, or where the chain breaks and why."""
        count = len(self.checks)
        events = f"{count} event{'s' if count != 1 else ''}"
        first = self.first_broken
        if first is None:
            return f"OK {self.phone_number}: {events}, head {self.head}"
        others = len(self.broken) - 1
        more = f" ({others} more broken event{'s' if others != 1 else ''})" if others else ""
        return (
            f"BROKEN {self.phone_number}: {events}, the chain breaks at event id {first.id}"
            f"{more}. {REASON_SENTENCES[first.reason]}"
        )

    def plain_summary(self) -> str:
        """The verdict in words for a page, without hashes (summary() is the command's line)."""
        count = len(self.checks)
        if not count:
            return "No consent change is recorded for this number yet."
        changes = f"{count} recorded change{'s' if count != 1 else ''}"
        first = self.first_broken
        if first is None:
            return (
                f"Intact: the {changes} below are exactly as they were written; none was edited "
                "or removed since."
            )
        return (
            f"Not intact: the history of {changes} no longer matches what was written, from "
            f"event {first.id} on. {REASON_SENTENCES[first.reason]} Report it to an admin."
        )


def chain_verify(
    *,
    number: str,
    events: Iterable[tuple[Mapping[str, Any], str]],
    from_database: bool = False,
) -> ChainVerification:
    """Check one number's events, given in id order as (canonical fields, stored chain hash).

    Each event is checked against the *stored* hash of the one before it, so every changed row
    is named on its own (a changed event breaks itself; a removed one breaks the next), and the
    first broken id is where the history stops being what was written.
    """
    seed = chain_seed(number=number)
    previous = seed
    checks = []
    for fields, stored in events:
        canonical = event_canonical(fields=fields, from_database=from_database)
        expected = chain_link(previous=previous, canonical=canonical)
        checks.append(
            EventCheck(
                id=int(fields["id"]),
                canonical=canonical,
                stored_hash=stored or "",
                expected_hash=expected,
            )
        )
        previous = stored or expected
    return ChainVerification(phone_number=number, seed=seed, checks=tuple(checks))


def chain_seal(rows: Iterable[tuple[Mapping[str, Any], str]]) -> Iterator[tuple[int, str]]:
    """(id, hash) for each row without a stored hash, rows ordered by (phone_number, id).

    A row that has a hash keeps it and is the base for the next: sealing vouches for rows as they
    are now, it never rewrites one (the database allows setting an empty hash once, nothing else).
    """
    number, previous = None, ""
    for fields, stored in rows:
        if fields["phone_number"] != number:
            number = fields["phone_number"]
            previous = chain_seed(number=number)
        if stored:
            previous = stored
            continue
        previous = chain_link(previous=previous, canonical=event_canonical(fields=fields))
        yield int(fields["id"]), previous
