"""Applying a consent request under its numbers' locks: list rows, day roll-up, audit events.

The intent-named services (optouts.services.consent) check who may ask for what and through
which channel, then call `opt_out_apply` or `opt_in_apply`; nothing else does. Here the rules of
optouts.services.rules decide each number on its current row, read under the number's lock
(optouts.services.locks), and the list change, its roll-up count and its chained event are
written in one transaction. The unique constraint on the list's number stays the last guard: if
a writer that skipped the lock inserts a number first, the IntegrityError is caught and the
batch redone number by number after re-reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from optouts.evidence.services import consent_events_insert
from optouts.lead_directory import LeadRef, lead_directory
from optouts.models import ConsentEvent, OptOut
from optouts.services.locks import phone_numbers_lock
from optouts.services.rollup import RollupChange, optout_rollup_add
from optouts.services.rules import (
    ConsentResult,
    Outcome,
    opt_in_decision,
    opt_out_decision,
    refusal_sentence,
)
from velocify_sms.db_arrays import any_of_sql, array_param, in_values
from velocify_sms.db_copy import copy_rows
from velocify_sms.phones import phone_normalize


@dataclass
class ConsentRequest:
    """What a consent service was asked, by whom and through which channel."""

    channel: str
    actor: object = None
    # The lead the request is about, named as it is now; an import names one per number instead
    # (`lead_of` of opt_out_apply).
    lead: LeadRef | None = None
    note: str = ""
    details: dict = field(default_factory=dict)
    # The carrier's reason for a system opt-out (OptOut.reason); "" for every other request.
    reason: str = ""

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor is not None else ""


def _lead_columns(lead: LeadRef | None) -> tuple[int | None, str]:
    """The (lead_id, lead_label) a row or event keeps of `lead`."""
    return (lead.id, lead.label) if lead is not None else (None, "")


def phone_numbers_unique(*, numbers: Iterable[str]) -> list[str]:
    """The distinct E.164 forms of `numbers`, sorted (the lock order)."""
    return sorted({phone_normalize(n) for n in numbers})


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _event(
    *,
    number,
    action,
    source,
    previous,
    request: ConsentRequest,
    now,
    note,
    lead_id,
    lead_label,
    extra=None,
):
    details = dict(request.details)
    if note:
        details["note"] = note
    if extra:
        details.update(extra)
    return ConsentEvent(
        phone_number=number,
        action=action,
        source=source or "",
        previous_source=previous or "",
        channel=request.channel,
        actor_id=_actor_id(request.actor),
        actor_label=request.actor_label,
        lead_id=lead_id,
        lead_label=lead_label,
        created_at=now,
        details=details,
    )


# The list row's columns in model order: a row of the locked read becomes a model instance through
# Model.from_db, as a queryset makes it (no OptOut field converts its database value; the test
# test_the_locked_read_of_the_list_gives_the_rows_a_queryset_gives compares the two).
_ROW_FIELDS = [f.attname for f in OptOut._meta.concrete_fields]
_ROW_COLUMNS = [f.column for f in OptOut._meta.concrete_fields]


def _locked_rows(numbers: list[str]) -> dict[str, OptOut]:
    phone_numbers_lock(numbers=numbers)
    if connection.vendor == "postgresql":
        # Written out, and read by a plain cursor: compiling the queryset took longer than
        # PostgreSQL runs the statement, and a raw queryset's column matching and model
        # iterator cost as much again, on every API opt-out (whose number is mostly not there).
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in _ROW_COLUMNS)
        table = quote(OptOut._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {any_of_sql('phone_number')}"  # noqa: S608
                " ORDER BY phone_number FOR UPDATE",
                [array_param(numbers)],
            )
            rows = [OptOut.from_db(connection.alias, _ROW_FIELDS, row) for row in cursor]
    else:
        rows = (
            OptOut.objects.select_for_update()
            .filter(in_values("phone_number", numbers))
            .order_by("phone_number")
        )
    return {row.phone_number: row for row in rows}


# What an opt-out sets on the list's row (besides the number).
_OPT_OUT_FIELDS = [
    "source",
    "channel",
    "opted_out_at",
    "actor_id",
    "actor_label",
    "lead_id",
    "lead_label",
    "note",
    "reason",
]


def opt_out_written(
    *, number, source, previous, request: ConsentRequest, at, note, lead: LeadRef | None
) -> tuple[dict, ConsentEvent]:
    """What an opt-out of `number` to `source` writes at `at`: the list row's fields (those of
    _OPT_OUT_FIELDS) and its event. Every opt-out is built here, back-dated ones included
    (optouts.services.backdated), so a row and its event cannot drift apart."""
    lead_id, lead_label = _lead_columns(lead)
    fields = dict(
        source=source,
        channel=request.channel,
        opted_out_at=at,
        actor_id=_actor_id(request.actor),
        actor_label=request.actor_label,
        lead_id=lead_id,
        lead_label=lead_label,
        note=note,
        reason=request.reason,
    )
    event = _event(
        number=number,
        action=ConsentEvent.Action.OPT_OUT,
        source=source,
        previous=previous,
        request=request,
        now=at,
        note=note,
        lead_id=lead_id,
        lead_label=lead_label,
    )
    return fields, event


def _opt_out_locked(
    numbers: list[str],
    source: str,
    request: ConsentRequest,
    lead_of: Mapping[str, LeadRef | None] | None = None,
    note_of: Mapping[str, str] | None = None,
) -> list[ConsentResult]:
    now = timezone.now()
    existing = _locked_rows(numbers)
    results, events, to_create, to_update = [], [], [], []
    rollup = RollupChange()
    for number in numbers:
        row = existing.get(number)
        current = row.source if row else None
        new_source = opt_out_decision(current=current, requested=source)
        if new_source is None:
            results.append(ConsentResult(number, Outcome.ALREADY_OPTED_OUT, current, current))
            continue
        fields, event = opt_out_written(
            number=number,
            source=new_source,
            previous=current,
            request=request,
            at=now,
            note=note_of.get(number, "") if note_of is not None else request.note,
            lead=lead_of.get(number) if lead_of else request.lead,
        )
        if row is None:
            # Plain values, not a model instance per number: a batch of an import has
            # thousands, and Model.__init__ was the largest cost of this function.
            to_create.append((number, *(fields[name] for name in _OPT_OUT_FIELDS)))
        else:
            # The number moves from the day and source it was counted under to today's.
            rollup.removed(at=row.opted_out_at, source=row.source)
            for name, value in fields.items():
                setattr(row, name, value)
            to_update.append(row)
        rollup.added(at=now, source=new_source)
        events.append(event)
        results.append(ConsentResult(number, Outcome.OPTED_OUT, new_source, current))
    # No savepoint of its own: a lost insert race raises IntegrityError out of the transaction or
    # savepoint of _run_with_race_retry, which rolls back this whole attempt before it retries.
    copy_rows(OptOut, ["phone_number", *_OPT_OUT_FIELDS], to_create)
    if to_update:
        OptOut.objects.bulk_update(to_update, _OPT_OUT_FIELDS)
    if to_create:
        lead_directory().listing_changed((row[0] for row in to_create), on_list=True)
    consent_events_insert(events=events)
    # Last: every opt-out of a day and source updates the same roll-up row, so its row lock is
    # the one concurrent requests queue on; taken last, it is held for one statement and the commit.
    optout_rollup_add(change=rollup)
    return results


def _run_with_race_retry(numbers: list[str], apply) -> list[ConsentResult]:
    """Apply to the whole batch in one transaction; if a concurrent insert wins a number, redo
    one by one.

    The retry happens after the IntegrityError rolled the attempt back; by then the winning row is
    committed (PostgreSQL makes the loser wait for it), so the re-read locks it and the rules
    decide on the real current state. `atomic` makes the attempt the transaction itself when
    called outside one (an API request, a webhook: no SAVEPOINT and RELEASE on the common path)
    and a savepoint inside a caller's (an import batch, an admin action), which keeps the
    caller's work when the attempt is rolled back. So nothing may wrap this in another `atomic`.
    """
    try:
        with transaction.atomic():
            return apply(numbers)
    except IntegrityError:
        with transaction.atomic():  # all or nothing, as the attempt was
            return _redo_one_by_one(numbers, apply)


def _redo_one_by_one(numbers: list[str], apply) -> list[ConsentResult]:
    """Each number in its own savepoint, up to three times (a number can lose more than once)."""
    results = []
    for number in numbers:
        for attempt in range(3):
            try:
                with transaction.atomic():
                    results.extend(apply([number]))
                break
            except IntegrityError:
                if attempt == 2:
                    raise
    return results


def opt_out_apply(
    *,
    numbers: list[str],
    source: str,
    request: ConsentRequest,
    lead_of: Mapping[str, LeadRef | None] | None = None,
    note_of: Mapping[str, str] | None = None,
) -> list[ConsentResult]:
    """Put `numbers` (unique, E.164, sorted) on the list with `source`, as the rules allow."""
    return _run_with_race_retry(
        numbers, lambda batch: _opt_out_locked(batch, source, request, lead_of, note_of)
    )


def opt_in_apply(
    *, numbers: list[str], by: str, permitted: bool, request: ConsentRequest
) -> list[ConsentResult]:
    """Take `numbers` (unique, E.164, sorted) off the list where the rules let `by` do it."""
    with transaction.atomic():
        return _opt_in_locked(numbers, by, permitted, request)


def _opt_in_locked(numbers: list[str], by: str, permitted: bool, request: ConsentRequest):
    now = timezone.now()
    existing = _locked_rows(numbers)
    results, events, to_delete = [], [], []
    rollup = RollupChange()
    for number in numbers:
        row = existing.get(number)
        current = row.source if row else None
        outcome, reason = opt_in_decision(current=current, by=by, permitted=permitted)
        if outcome == Outcome.OPTED_IN:
            to_delete.append(row.pk)
            rollup.removed(at=row.opted_out_at, source=row.source)
            action = ConsentEvent.Action.OPT_IN
            results.append(ConsentResult(number, outcome, None, current))
        elif outcome == Outcome.REFUSED:
            action = ConsentEvent.Action.OPT_IN_REFUSED
            results.append(
                ConsentResult(
                    number,
                    outcome,
                    current,
                    current,
                    reason=reason,
                    detail=refusal_sentence(reason=reason),
                )
            )
        else:
            results.append(ConsentResult(number, outcome, None, None))
            continue
        extra = {"reason": reason, "requested_by": by} if reason else {"requested_by": by}
        events.append(_unchanged_source_event(number, action, current, request, now, extra))
    if to_delete:
        OptOut.objects.filter(pk__in=to_delete).delete()
        lead_directory().listing_changed(
            (r.phone_number for r in results if r.outcome == Outcome.OPTED_IN), on_list=False
        )
    consent_events_insert(events=events)
    optout_rollup_add(change=rollup)  # last, as in _opt_out_locked: the row requests queue on
    return results


def _unchanged_source_event(number, action, current, request, now, extra=None) -> ConsentEvent:
    """An event of `request` whose source and previous source are both `current`: an opt-in
    (the source it removed), a refusal (the source that blocked it), or an action that changes
    no list row."""
    lead_id, lead_label = _lead_columns(request.lead)
    return _event(
        number=number,
        action=action,
        source=current,
        previous=current,
        request=request,
        now=now,
        note=request.note,
        extra=extra,
        lead_id=lead_id,
        lead_label=lead_label,
    )


def consent_event_apply(*, number: str, action: str, request: ConsentRequest) -> ConsentEvent:
    """Write one chained event that changes nothing on the list (a revocation pending review or
    dismissed, an unreachable hold or its end), under the number's lock.

    Its source and previous source are both the number's list source now ("" when opted in), so
    a replay of the history sees no change of list state. Call it inside the transaction that
    makes the change it records.
    """
    row = _locked_rows([number]).get(number)
    event = _unchanged_source_event(
        number, action, row.source if row else None, request, timezone.now()
    )
    consent_events_insert(events=[event])
    return event
