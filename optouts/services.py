"""The consent rules of DESIGN.md section 2. Every write to the opt-out list goes through here.

Each public function is one transaction: the list change and its audit event commit together or
not at all. On PostgreSQL a request first takes a transaction-level advisory lock per number, all
in one global order, so requests on the same number run one after another and two batches can
never deadlock (row locks alone cannot cover a number that has no row yet). SQLite serialises
writers anyway (BEGIN IMMEDIATE). The unique constraint stays the last guard: if a writer that
skips the lock inserts a number first, the IntegrityError is caught and the batch redone number by
number after re-reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from optouts.models import SOURCE_RANK, Channel, ConsentEvent, OptOut, Source
from optouts.permissions import user_can_opt_in
from velocify_sms.db_copy import copy_insert
from velocify_sms.phones import phone_normalize


class OptInBy:
    """Who asks for an opt-in: an admin (report, API, lead page) or the contact (start word)."""

    ADMIN = "admin"
    CONTACT = "contact"


class Outcome:
    OPTED_OUT = "opted_out"
    ALREADY_OPTED_OUT = "already_opted_out"
    OPTED_IN = "opted_in"
    NOT_OPTED_OUT = "not_opted_out"
    REFUSED = "refused"


class RefusalReason:
    CONTACT_OPT_OUT = "contact_opt_out"
    SYSTEM_OPT_OUT = "system_opt_out"
    NOT_PERMITTED = "not_permitted"


REFUSAL_DETAIL = {
    RefusalReason.CONTACT_OPT_OUT: (
        "The contact texted STOP: only the contact can opt back in, by texting START."
    ),
    RefusalReason.SYSTEM_OPT_OUT: (
        "The carrier reported this number opted out or unreachable: the contact must text START."
    ),
    RefusalReason.NOT_PERMITTED: "Only an admin can opt a phone number back in.",
}


@dataclass(frozen=True)
class ConsentResult:
    """What one request did to one number."""

    phone_number: str
    outcome: str
    source: str | None  # the number's source after the request; None when opted in
    previous_source: str | None = None
    reason: str | None = None
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.outcome in (Outcome.OPTED_OUT, Outcome.OPTED_IN)


@dataclass
class _Request:
    channel: str
    actor: object = None
    lead: object = None
    note: str = ""
    details: dict = field(default_factory=dict)


def opt_out_decision(*, current: str | None, requested: str) -> str | None:
    """The source a number has after an opt-out request, or None if nothing changes."""
    if current is None or SOURCE_RANK[Source(requested)] > SOURCE_RANK[Source(current)]:
        return requested
    return None


def opt_in_decision(*, current: str | None, by: str, permitted: bool = True) -> tuple[str, str]:
    """(outcome, refusal reason or "") of an opt-in request on a number with source `current`."""
    if by == OptInBy.ADMIN and not permitted:
        return Outcome.REFUSED, RefusalReason.NOT_PERMITTED
    if current is None:
        return Outcome.NOT_OPTED_OUT, ""
    if by == OptInBy.CONTACT or current == Source.AGENT:
        return Outcome.OPTED_IN, ""
    if current == Source.CONTACT:
        return Outcome.REFUSED, RefusalReason.CONTACT_OPT_OUT
    return Outcome.REFUSED, RefusalReason.SYSTEM_OPT_OUT


def admin_may_opt_in(*, source: str | None) -> bool:
    """Whether an admin's opt-in would take a number with this source off the list."""
    outcome, _ = opt_in_decision(current=source, by=OptInBy.ADMIN)
    return outcome == Outcome.OPTED_IN


def _unique_numbers(numbers: Iterable[str]) -> list[str]:
    return sorted({phone_normalize(n) for n in numbers})


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _event(*, number, action, source, previous, request: _Request, now, extra=None, lead_id=None):
    details = dict(request.details)
    if request.note:
        details["note"] = request.note
    if extra:
        details.update(extra)
    return ConsentEvent(
        phone_number=number,
        action=action,
        source=source or "",
        previous_source=previous or "",
        channel=request.channel,
        actor_id=_actor_id(request.actor),
        lead_id=lead_id if lead_id is not None else getattr(request.lead, "pk", None),
        created_at=now,
        details=details,
    )


def phone_numbers_lock(*, numbers: list[str], shared: bool = False) -> None:
    """Serialise work on these E.164 numbers until the current transaction ends (PostgreSQL).

    Writers take the lock exclusively; a reader that must see every committed opt-out before it
    acts (the send guard) takes it shared. Locks are taken in key order, so never deadlock.
    """
    if connection.vendor != "postgresql" or not numbers:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count({function}(k)) FROM ("  # noqa: S608 - function name is one of two
            "  SELECT DISTINCT hashtextextended(n, 0) AS k FROM unnest(%s::text[]) AS n ORDER BY k"
            ") AS keys",
            [list(numbers)],
        )


def _locked_rows(numbers: list[str]) -> dict[str, OptOut]:
    phone_numbers_lock(numbers=numbers)
    rows = (
        OptOut.objects.select_for_update().filter(phone_number__in=numbers).order_by("phone_number")
    )
    return {row.phone_number: row for row in rows}


def _opt_out_locked(
    numbers: list[str], source: str, request: _Request, lead_of: dict[str, int | None] | None = None
) -> list[ConsentResult]:
    """Apply an opt-out to numbers; `lead_of` gives a lead per number (else request.lead)."""
    now = timezone.now()
    existing = _locked_rows(numbers)
    results, events, to_create, to_update = [], [], [], []
    for number in numbers:
        row = existing.get(number)
        current = row.source if row else None
        new_source = opt_out_decision(current=current, requested=source)
        if new_source is None:
            results.append(ConsentResult(number, Outcome.ALREADY_OPTED_OUT, current, current))
            continue
        lead_id = lead_of.get(number) if lead_of else getattr(request.lead, "pk", None)
        fields = dict(
            source=new_source,
            channel=request.channel,
            opted_out_at=now,
            actor_id=_actor_id(request.actor),
            lead_id=lead_id,
            note=request.note,
        )
        if row is None:
            to_create.append(OptOut(phone_number=number, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
            to_update.append(row)
        events.append(
            _event(
                number=number,
                action=ConsentEvent.Action.OPT_OUT,
                source=new_source,
                previous=current,
                request=request,
                now=now,
                lead_id=lead_id,
            )
        )
        results.append(ConsentResult(number, Outcome.OPTED_OUT, new_source, current))
    if to_create:
        # A savepoint, so a lost insert race rolls back only this statement and the caller
        # can retry number by number after re-reading.
        with transaction.atomic():
            copy_insert(to_create)
    if to_update:
        OptOut.objects.bulk_update(
            to_update, ["source", "channel", "opted_out_at", "actor_id", "lead_id", "note"]
        )
    copy_insert(events)
    return results


def _run_with_race_retry(numbers: list[str], apply) -> list[ConsentResult]:
    """Apply to the whole batch; if a concurrent insert wins a number, redo one by one.

    The retry happens after the IntegrityError's savepoint rolled back, within the caller's
    transaction; by then the winning row is committed (PostgreSQL makes the loser wait for it), so
    the re-read locks it and the rules decide on the real current state.
    """
    try:
        with transaction.atomic():
            return apply(numbers)
    except IntegrityError:
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


def phones_opt_out(
    *,
    numbers: Iterable[str],
    source: str,
    channel: str,
    actor=None,
    lead=None,
    note: str = "",
    details: dict | None = None,
) -> list[ConsentResult]:
    """Put numbers on the list with `source`, in one transaction. Results are sorted by number.

    A number already on the list with an equal or stronger source is left exactly as it is
    (outcome `already_opted_out`). Raises InvalidPhoneNumber before writing anything if any
    number is malformed.
    """
    Source(source)
    Channel(channel)
    unique = _unique_numbers(numbers)
    request = _Request(channel=channel, actor=actor, lead=lead, note=note, details=details or {})
    with transaction.atomic():
        return _run_with_race_retry(unique, lambda batch: _opt_out_locked(batch, source, request))


def phone_opt_out(
    *,
    number: str,
    source: str,
    channel: str,
    actor=None,
    lead=None,
    note: str = "",
    details: dict | None = None,
) -> ConsentResult:
    """Opt one number out; see phones_opt_out."""
    (result,) = phones_opt_out(
        numbers=[number],
        source=source,
        channel=channel,
        actor=actor,
        lead=lead,
        note=note,
        details=details,
    )
    return result


def _opt_in_locked(numbers: list[str], by: str, permitted: bool, request: _Request):
    now = timezone.now()
    existing = _locked_rows(numbers)
    results, events, to_delete = [], [], []
    for number in numbers:
        row = existing.get(number)
        current = row.source if row else None
        outcome, reason = opt_in_decision(current=current, by=by, permitted=permitted)
        if outcome == Outcome.OPTED_IN:
            to_delete.append(row.pk)
            action = ConsentEvent.Action.OPT_IN
            results.append(ConsentResult(number, outcome, None, current))
        elif outcome == Outcome.REFUSED:
            action = ConsentEvent.Action.OPT_IN_REFUSED
            results.append(
                ConsentResult(
                    number, outcome, current, current, reason=reason, detail=REFUSAL_DETAIL[reason]
                )
            )
        else:
            results.append(ConsentResult(number, outcome, None, None))
            continue
        extra = {"reason": reason, "requested_by": by} if reason else {"requested_by": by}
        events.append(
            _event(
                number=number,
                action=action,
                source=current,
                previous=current,
                request=request,
                now=now,
                extra=extra,
            )
        )
    if to_delete:
        OptOut.objects.filter(pk__in=to_delete).delete()
    copy_insert(events)
    return results


def phones_opt_in(
    *,
    numbers: Iterable[str],
    by: str,
    channel: str,
    actor=None,
    lead=None,
    note: str = "",
    details: dict | None = None,
) -> list[ConsentResult]:
    """Take numbers off the list, in one transaction, under the rules for `by`.

    An admin (`by=OptInBy.ADMIN`, actor must hold optouts.opt_in_phone) may opt in agent
    opt-outs only; contact and system opt-outs are refused with a reason. The contact
    (`by=OptInBy.CONTACT`, a start word) opts in from any source. Every refusal is logged.
    """
    if by not in (OptInBy.ADMIN, OptInBy.CONTACT):
        raise ValueError(f"Unknown opt-in requester {by!r}.")
    Channel(channel)
    permitted = by == OptInBy.CONTACT or user_can_opt_in(actor)
    unique = _unique_numbers(numbers)
    request = _Request(channel=channel, actor=actor, lead=lead, note=note, details=details or {})
    with transaction.atomic():
        return _opt_in_locked(unique, by, permitted, request)


def phone_opt_in(
    *,
    number: str,
    by: str,
    channel: str,
    actor=None,
    lead=None,
    note: str = "",
    details: dict | None = None,
) -> ConsentResult:
    """Opt one number in; see phones_opt_in."""
    (result,) = phones_opt_in(
        numbers=[number],
        by=by,
        channel=channel,
        actor=actor,
        lead=lead,
        note=note,
        details=details,
    )
    return result


# --- Opt-out list import (issue 4) ------------------------------------------------------------


@dataclass(frozen=True)
class ImportLine:
    """One line of an uploaded opt-out list: its line number in the file, the number, a note."""

    line: int
    number: str
    note: str = ""


class OptOutImportError(ValueError):
    """Lines without a valid number: `errors` is [{"line", "input", "detail"}]; nothing applied."""

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} line(s) of the file are not valid phone numbers.")


def optout_list_import(
    *, lines: list[ImportLine], actor, details: dict | None = None
) -> list[ConsentResult]:
    """Add an uploaded list of numbers to the opt-out list: source agent, channel import.

    Every number is checked first; if any is malformed, OptOutImportError lists them all with
    their line and nothing is written. Otherwise all of them go through phones_opt_out in one
    transaction (one call per distinct note), so the import is all or nothing.
    """
    errors, by_note = [], {}
    for item in lines:
        try:
            number = phone_normalize(item.number)
        except ValueError as exc:
            errors.append({"line": item.line, "input": item.number, "detail": str(exc)})
            continue
        by_note.setdefault(item.note.strip(), []).append(number)
    if errors:
        raise OptOutImportError(errors)
    results: list[ConsentResult] = []
    with transaction.atomic():
        for note, numbers in by_note.items():
            results.extend(
                phones_opt_out(
                    numbers=numbers,
                    source=Source.AGENT,
                    channel=Channel.IMPORT,
                    actor=actor,
                    note=note,
                    details=details,
                )
            )
    return results


# --- Lead import (issue 6) ------------------------------------------------------------------------


def phones_opt_out_for_leads(
    *,
    lead_numbers: Iterable[tuple[int | None, str]],
    source: str,
    channel: str,
    actor=None,
    note: str = "",
    details: dict | None = None,
) -> list[ConsentResult]:
    """phones_opt_out for many leads at once: one transaction, one lock, one query per step.

    `lead_numbers` pairs a lead id with one of its numbers; the list row and the audit event of
    each number name that lead (the first lead given, if a number comes with several). The same
    rule (opt_out_decision) and the same locking and race retry as phones_opt_out; built for the
    lead import, which opts out the numbers of a whole batch of rows together.
    """
    Source(source)
    Channel(channel)
    lead_of: dict[str, int | None] = {}
    for lead_id, number in lead_numbers:
        lead_of.setdefault(phone_normalize(number), lead_id)
    request = _Request(channel=channel, actor=actor, note=note, details=details or {})
    with transaction.atomic():
        return _run_with_race_retry(
            sorted(lead_of),
            lambda batch: _opt_out_locked(batch, source, request, lead_of),
        )
