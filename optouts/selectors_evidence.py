"""Reads of the evidence chain: verify one number's chain, or every number's (bounded).

The chain itself (canonical form, link, verdict) is optouts/chain.py; the hashes are written by
optouts/services/chain.py. The evidence bundle, which also reads the SMS logs, is
optouts/evidence/selectors.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from optouts.chain import CANONICAL_FIELDS, ChainVerification, chain_verify
from optouts.models import ConsentEvent

# `--all` checks at most this many numbers unless told otherwise.
VERIFY_ALL_DEFAULT_LIMIT = 100_000


def _rows(queryset: QuerySet[ConsentEvent]):
    for row in queryset.values_list(*CANONICAL_FIELDS, "chain_hash").iterator(chunk_size=5000):
        yield dict(zip(CANONICAL_FIELDS, row[:-1], strict=True)), row[-1]


def phone_events_chained(*, number: str) -> QuerySet[ConsentEvent]:
    """Every event of an E.164 number in chain order (id ascending)."""
    return ConsentEvent.objects.filter(phone_number=number).order_by("id")


def phone_chain_verification(*, number: str) -> ChainVerification:
    """Recompute an E.164 number's chain from its events and compare with the stored hashes."""
    return chain_verify(number=number, events=_rows(phone_events_chained(number=number)))


@dataclass(frozen=True)
class ChainSurvey:
    """The verdicts of every number checked, broken ones kept; counts for the rest."""

    numbers: int
    events: int
    broken: tuple[ChainVerification, ...]
    truncated: bool


def chains_verify_all(*, limit: int = VERIFY_ALL_DEFAULT_LIMIT) -> ChainSurvey:
    """Verify the chains of up to `limit` numbers (by number), in one pass over their events.

    One ordered scan (phone_number, id) streamed in chunks, so memory holds one number's events
    at a time; `truncated` says more numbers exist than were checked.
    """
    numbers_qs = (
        ConsentEvent.objects.order_by("phone_number")
        .values_list("phone_number", flat=True)
        .distinct()
    )
    wanted = list(numbers_qs[: limit + 1])
    truncated = len(wanted) > limit
    wanted = wanted[:limit]
    broken: list[ChainVerification] = []
    events = 0
    if wanted:
        queryset = ConsentEvent.objects.filter(
            phone_number__gte=wanted[0], phone_number__lte=wanted[-1]
        ).order_by("phone_number", "id")
        for verdict in _per_number(_rows(queryset)):
            events += len(verdict.checks)
            if not verdict.ok:
                broken.append(verdict)
    return ChainSurvey(
        numbers=len(wanted), events=events, broken=tuple(broken), truncated=truncated
    )


def _per_number(rows) -> Iterator[ChainVerification]:
    number, group = None, []
    for fields, stored in rows:
        if fields["phone_number"] != number and group:
            yield chain_verify(number=number, events=group)
            group = []
        number = fields["phone_number"]
        group.append((fields, stored))
    if group:
        yield chain_verify(number=number, events=group)
