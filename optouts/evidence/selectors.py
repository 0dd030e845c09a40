"""Reads of the evidence: each number's chain, its list row replayed from its events, and both
against the latest signed anchor; for one number or for every number in one streamed pass.

The chain itself is optouts/evidence/chain.py, the replay optouts/evidence/replay.py, anchors
optouts/evidence/anchors.py and store.py. Nothing here writes.

A number's verdict, worst first (docs/compliance.md, "Checking it"):
- BROKEN: its chain does not link (an event changed or removed below the app);
- DELETED / TRUNCATED / REWRITTEN: the chain links, but not through the head the latest anchor
  signed for it: its history, its newest events, or every hash was replaced;
- LIST: its opt-out list row disagrees with what its events say;
- NOT YET ANCHORED: events newer than the latest anchor (never called OK);
- OK.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet

from optouts.evidence.anchors import Leaf
from optouts.evidence.chain import (
    CANONICAL_FIELDS,
    ChainVerification,
    chain_rows_ok,
    chain_seed,
    chain_time,
    chain_verify,
)
from optouts.evidence.replay import list_mismatch, list_state_replay
from optouts.models import ConsentEvent, OptOut

# Rows fetched per round trip when streaming; problems kept in full (the rest are counted).
CHUNK = 10_000
KEEP = 1000

# A number against the anchor: as it holds it, with newer events, gone in one of three ways, or
# absent from both (no events now, none then).
ANCHORED, PENDING, DELETED, TRUNCATED, REWRITTEN, ABSENT = (
    "anchored",
    "pending",
    "deleted",
    "truncated",
    "rewritten",
    "absent",
)
_GONE = frozenset({DELETED, TRUNCATED, REWRITTEN})
_FIELDS = (*CANONICAL_FIELDS, "chain_hash")
_ID, _NUMBER, _ACTION, _SOURCE = (
    _FIELDS.index(n) for n in ("id", "phone_number", "action", "source")
)


def phone_events_chained(*, number: str) -> QuerySet[ConsentEvent]:
    """Every event of an E.164 number in chain order (id ascending)."""
    return ConsentEvent.objects.filter(phone_number=number).order_by("id")


# PostgreSQL formats the time as the chain writes it and hands `details` over as text, which
# json.loads reads faster than the driver's and the ORM's converters (bench/evidence_verify.py).
_PG_ROWS = (
    "SELECT id, phone_number, action, source, previous_source, channel, actor_id, actor_label, "
    "lead_id, lead_label, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "details::text, chain_hash FROM optouts_consentevent{where} ORDER BY phone_number, id"
)


def _event_rows(*, number: str | None = None) -> Iterator[tuple]:
    """Events as the verifier reads them, ordered by (number, id): the CANONICAL_FIELDS with
    `created_at` as chain_time text and `details` decoded, then the stored chain hash."""
    if connection.vendor == "postgresql":
        where, params = (" WHERE phone_number = %s", [number]) if number else ("", [])
        with connection.chunked_cursor() as cursor:
            cursor.execute(_PG_ROWS.format(where=where), params)
            while batch := cursor.fetchmany(CHUNK):
                for row in batch:
                    yield (*row[:11], json.loads(row[11]), row[12])
        return
    events = ConsentEvent.objects.order_by("phone_number", "id")
    if number:
        events = events.filter(phone_number=number)
    for row in events.values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        yield (*row[:10], chain_time(row[10]), *row[11:])


def _verdict(number: str, rows: list[tuple]) -> ChainVerification:
    return chain_verify(
        number=number,
        events=((dict(zip(CANONICAL_FIELDS, row[:-1], strict=True)), row[-1]) for row in rows),
        from_database=True,
    )


def phone_chain_verification(*, number: str) -> ChainVerification:
    """Recompute an E.164 number's chain from its events and compare with the stored hashes."""
    return _verdict(number, list(_event_rows(number=number)))


@dataclass(frozen=True)
class AnchorRef:
    """The anchor to compare with (its checked payload) and its leaves, in number order."""

    payload: dict
    leaves: Iterable[Leaf]

    @property
    def label(self) -> str:
        return f"anchor #{self.payload['sequence']} ({self.payload['created_at']})"


@dataclass
class NumberReport:
    """One number's verdict: its chain, its list row against its events, and the anchor."""

    number: str
    events: int
    head: str
    last_id: int | None
    # The full verdict; None for a chain found whole on the fast path (no details needed).
    chain: ChainVerification | None
    list_problem: str = ""
    anchor_state: str = ""  # "" when not compared with an anchor
    anchored: Leaf | None = None
    anchor_label: str = ""

    @property
    def chain_ok(self) -> bool:
        return self.chain is None or self.chain.ok

    @property
    def pending(self) -> int:
        """Events newer than the anchor (all of them for a number the anchor does not hold)."""
        if self.anchor_state != PENDING:
            return 0
        return self.events - (self.anchored.events if self.anchored else 0)

    @property
    def problem(self) -> bool:
        return not self.chain_ok or self.anchor_state in _GONE or bool(self.list_problem)

    @property
    def leaf(self) -> Leaf | None:
        """The number as an anchor taken now would hold it."""
        if not self.events:
            return None
        return Leaf(self.number, self.events, self.last_id, self.head)

    def lines(self) -> list[str]:
        """The verdict in words: one line per finding, the worst first."""
        n, out = self.number, []
        if not self.chain_ok:
            out.append(self.chain.summary())
        held = self.anchored
        if self.anchor_state == DELETED:
            out.append(
                f"DELETED {n}: {self.anchor_label} holds {held.events} events (last id "
                f"{held.last_id}, head {held.head}); the database has none: its whole history "
                "was deleted"
            )
        elif self.anchor_state == TRUNCATED:
            out.append(
                f"TRUNCATED {n}: {self.anchor_label} holds {held.events} events up to id "
                f"{held.last_id}; the database has {self.events}: events it anchored were deleted"
            )
        elif self.anchor_state == REWRITTEN:
            out.append(
                f"REWRITTEN {n}: the chain does not pass through the head {self.anchor_label} "
                f"signed for its event {held.events} (id {held.last_id}, head {held.head}): its "
                "history was rewritten and the hashes recomputed"
            )
        if self.list_problem:
            out.append(f"LIST {n}: {self.list_problem}")
        if out:
            return out
        if self.anchor_state == PENDING:
            anchored = held.events if held else 0
            return [
                f"NOT YET ANCHORED {n}: {self.events} events, head {self.head}; "
                f"{self.pending} newer than {self.anchor_label}"
                + (f" (the first {anchored} match it)" if anchored else "")
            ]
        if not self.events:
            where = f" nor in {self.anchor_label}" if self.anchor_label else ""
            return [f"NO EVENTS {n}: no consent event in the database{where}"]
        anchored = f", as {self.anchor_label} holds it" if self.anchor_state else ""
        return [f"OK {n}: {self.events} events, head {self.head}{anchored}"]


def _anchor_compare(report: NumberReport, rows: list[tuple], leaf: Leaf | None) -> None:
    if leaf is None:
        report.anchor_state = PENDING if rows else ABSENT
        return
    report.anchored = leaf
    if not rows:
        report.anchor_state = DELETED
    elif len(rows) < leaf.events:
        report.anchor_state = TRUNCATED
    else:
        at = rows[leaf.events - 1]
        if at[_ID] != leaf.last_id or at[-1] != leaf.head:
            report.anchor_state = REWRITTEN
        else:
            report.anchor_state = PENDING if len(rows) > leaf.events else ANCHORED


def number_report(
    *,
    number: str,
    rows: list[tuple],
    row_source: str | None,
    anchor: AnchorRef | None = None,
    leaf: Leaf | None = None,
    full: bool = False,
) -> NumberReport:
    """The verdict on one number from its event rows (_event_rows, id order), its list row's
    source (None: no row) and, when an anchor is given, its leaf there (None: the anchor has
    none). The chain's full verdict (every event's canonical form) only when it is broken or
    `full` asks for it."""
    state = list_state_replay((row[_ID], row[_ACTION], row[_SOURCE]) for row in rows)
    whole = not full and chain_rows_ok(number=number, rows=rows)
    report = NumberReport(
        number=number,
        events=len(rows),
        head=rows[-1][-1] if rows else chain_seed(number=number),
        last_id=rows[-1][_ID] if rows else None,
        chain=None if whole else _verdict(number, rows),
        list_problem=list_mismatch(state=state, row_source=row_source, events=len(rows)),
    )
    if anchor is not None:
        report.anchor_label = anchor.label
        _anchor_compare(report, rows, leaf)
    return report


@contextmanager
def evidence_snapshot():
    """One consistent view of the events and the list for a whole check: a read-only
    REPEATABLE READ transaction on PostgreSQL, so a consent change committed meanwhile cannot
    show as a list row without its event. Inside a caller's transaction, that one."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def phone_evidence_check(*, number: str, anchor: AnchorRef | None = None) -> NumberReport:
    """The verdict on one E.164 number (its leaf looked up in the anchor's leaves)."""
    with evidence_snapshot():
        rows = list(_event_rows(number=number))
        row = OptOut.objects.filter(phone_number=number).values_list("source", flat=True).first()
        leaf = None
        for each in anchor.leaves if anchor is not None else ():
            if each.number >= number:  # sorted: past it, it is not there
                leaf = each if each.number == number else None
                break
        return number_report(
            number=number, rows=rows, row_source=row, anchor=anchor, leaf=leaf, full=True
        )


def _sorted(items: Iterator[tuple[str, object]], what: str) -> Iterator[tuple[str, object]]:
    """Pass (number, item) through, refusing an order that is not strictly ascending."""
    last = None
    for number, item in items:
        if last is not None and number <= last:
            raise RuntimeError(
                f"{what} are not in ascending byte order of number ({last!r}, then {number!r}): "
                "the database's collation must sort E.164 text as bytes"
            )
        last = number
        yield number, item


def _event_groups() -> Iterator[tuple[str, list[tuple]]]:
    number, group = None, []
    for row in _event_rows():
        if row[_NUMBER] != number:
            if group:
                yield number, group
            number, group = row[_NUMBER], []
        group.append(row)
    if group:
        yield number, group


def _list_rows() -> Iterator[tuple[str, str]]:
    rows = OptOut.objects.order_by("phone_number").values_list("phone_number", "source")
    yield from rows.iterator(chunk_size=CHUNK)


def evidence_reports(
    *, anchor: AnchorRef | None = None, limit: int | None = None
) -> Iterator[NumberReport]:
    """Every number that has events, a list row or a leaf in `anchor`, in number order: one merge
    of three ordered streams, so memory holds one number's events at a time. Call it inside
    evidence_snapshot(). At most `limit` numbers (then a last None says there were more)."""
    sources = [
        _sorted(_event_groups(), "events"),
        _sorted(_list_rows(), "opt-out list rows"),
        _sorted(((leaf.number, leaf) for leaf in anchor.leaves) if anchor else iter(()), "leaves"),
    ]
    heads = [next(source, None) for source in sources]
    done = 0
    while any(heads):
        number = min(head[0] for head in heads if head)
        if limit is not None and done >= limit:
            yield None
            return
        items = [None, None, None]
        for i, head in enumerate(heads):
            if head and head[0] == number:
                items[i] = head[1]
                heads[i] = next(sources[i], None)
        yield number_report(
            number=number, rows=items[0] or [], row_source=items[1], anchor=anchor, leaf=items[2]
        )
        done += 1


@dataclass
class Survey:
    """Every number's verdict, counted; the numbers with a problem kept (the first KEEP)."""

    numbers: int = 0
    events: int = 0
    anchored: int = 0
    pending_numbers: int = 0
    pending_events: int = 0
    problem_count: int = 0
    # Numbers whose chain is broken or no longer holds what the anchor signed (not list rows).
    damaged: int = 0
    problems: list[NumberReport] = field(default_factory=list)
    truncated: bool = False

    def add(self, report: NumberReport) -> None:
        self.numbers += 1
        self.events += report.events
        if report.problem:
            self.problem_count += 1
            self.damaged += not report.chain_ok or report.anchor_state in _GONE
            if len(self.problems) < KEEP:
                self.problems.append(report)
        elif report.anchor_state == PENDING:
            self.pending_numbers += 1
            self.pending_events += report.pending
        elif report.anchor_state == ANCHORED:
            self.anchored += 1

    @property
    def ok(self) -> bool:
        return not self.problem_count

    @property
    def broken(self) -> tuple[ChainVerification, ...]:
        """The broken chains among the problems kept."""
        return tuple(report.chain for report in self.problems if not report.chain_ok)


def evidence_survey(*, anchor: AnchorRef | None = None, limit: int | None = None) -> Survey:
    """Check every number (at most `limit`): chains, list rows, and the anchor when given."""
    survey = Survey()
    with evidence_snapshot():
        for report in evidence_reports(anchor=anchor, limit=limit):
            if report is None:
                survey.truncated = True
                break
            survey.add(report)
    return survey


def chains_verify_all(*, limit: int | None = None) -> Survey:
    """evidence_survey without an anchor: every chain and list row (the name callers know)."""
    return evidence_survey(limit=limit)
