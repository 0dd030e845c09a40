"""The consent services: every write to the opt-out list goes through one of these functions.

Each is named by who asks (staff, the contact, the carrier, an admin) and fixes the source, the
channels it accepts and the permission it needs; no caller chooses a source. Each is one
transaction: the list change and its audit event commit together or not at all. Work on a number
runs under its lock (optouts.services.locks), and the unique constraint on the list's number stays
the last guard: if a writer that skipped the lock inserts a number first, the IntegrityError is
caught and the batch redone number by number after re-reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from optouts.lead_directory import lead_directory
from optouts.models import CarrierReason, Channel, ConsentEvent, OptOut, Source
from optouts.permissions import user_can_opt_in, user_can_opt_out
from optouts.services.chain import consent_events_insert
from optouts.services.locks import phone_numbers_lock
from optouts.services.rollup import RollupChange, optout_rollup_add
from optouts.services.rules import (
    ConsentResult,
    Outcome,
    Requester,
    opt_in_decision,
    opt_out_decision,
    refusal_sentence,
)
from velocify_sms.db_arrays import in_values
from velocify_sms.db_copy import copy_rows
from velocify_sms.errors import InputError
from velocify_sms.phones import phone_normalize

STAFF_OPT_OUT_CHANNELS = frozenset({Channel.UI, Channel.REPORT, Channel.API, Channel.IMPORT})
ADMIN_OPT_IN_CHANNELS = frozenset({Channel.UI, Channel.REPORT, Channel.API})


class ConsentNotPermitted(PermissionDenied):
    """The user may not make this consent request; nothing was written."""


class OptInNoteRequired(InputError):
    """An admin opt-in without a reason; nothing was written."""

    code = "note_required"

    def __init__(self) -> None:
        detail = (
            "Say why this number may be texted again (for example: customer asked by phone on "
            "2 Dec); an admin opt-in needs a reason, and it is kept with the history."
        )
        super().__init__(detail, errors={"note": [detail]})


CONSENT_EVIDENCE_MAX = 1000


class OptInEvidenceTooLong(InputError):
    """The consent evidence given with an admin opt-in is longer than it may be; nothing written."""

    code = "evidence_too_long"

    def __init__(self) -> None:
        detail = (
            f"The consent evidence is limited to {CONSENT_EVIDENCE_MAX:,} characters: give a "
            "short description with a URL or a document reference."
        )
        super().__init__(detail, errors={"evidence": [detail]})


@dataclass
class _Request:
    channel: str
    actor: object = None
    lead: object = None
    note: str = ""
    details: dict = field(default_factory=dict)
    # The carrier's reason for a system opt-out (OptOut.reason); "" for every other request.
    reason: str = ""
    # {lead id: label} for the ids of an import's `lead_of`, read once before any lock is taken.
    lead_labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor is not None else ""

    @property
    def lead_label(self) -> str:
        return str(self.lead) if self.lead is not None else ""


def _unique_numbers(numbers: Iterable[str]) -> list[str]:
    return sorted({phone_normalize(n) for n in numbers})


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _event(
    *,
    number,
    action,
    source,
    previous,
    request: _Request,
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


def _locked_rows(numbers: list[str]) -> dict[str, OptOut]:
    phone_numbers_lock(numbers=numbers)
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


def _opt_out_locked(
    numbers: list[str],
    source: str,
    request: _Request,
    lead_of: Mapping[str, int | None] | None = None,
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
        if lead_of:
            lead_id = lead_of.get(number)
            lead_label = request.lead_labels.get(lead_id, "") if lead_id is not None else ""
        else:
            lead_id, lead_label = getattr(request.lead, "pk", None), request.lead_label
        note = note_of.get(number, "") if note_of is not None else request.note
        fields = dict(
            source=new_source,
            channel=request.channel,
            opted_out_at=now,
            actor_id=_actor_id(request.actor),
            actor_label=request.actor_label,
            lead_id=lead_id,
            lead_label=lead_label,
            note=note,
            reason=request.reason,
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
        events.append(
            _event(
                number=number,
                action=ConsentEvent.Action.OPT_OUT,
                source=new_source,
                previous=current,
                request=request,
                now=now,
                note=note,
                lead_id=lead_id,
                lead_label=lead_label,
            )
        )
        results.append(ConsentResult(number, Outcome.OPTED_OUT, new_source, current))
    if to_create:
        # A savepoint, so a lost insert race rolls back only this statement and the caller
        # can retry number by number after re-reading.
        with transaction.atomic():
            copy_rows(OptOut, ["phone_number", *_OPT_OUT_FIELDS], to_create)
    if to_update:
        OptOut.objects.bulk_update(to_update, _OPT_OUT_FIELDS)
    # Inside the caller's savepoint: a lost insert race rolls the counts back with the rows.
    optout_rollup_add(change=rollup)
    consent_events_insert(events=events)
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


def _opt_out(
    numbers: list[str],
    source: str,
    request: _Request,
    lead_of: Mapping[str, int | None] | None = None,
    note_of: Mapping[str, str] | None = None,
) -> list[ConsentResult]:
    with transaction.atomic():
        return _run_with_race_retry(
            numbers, lambda batch: _opt_out_locked(batch, source, request, lead_of, note_of)
        )


def _opt_in_locked(numbers: list[str], by: str, permitted: bool, request: _Request):
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
        events.append(
            _event(
                number=number,
                action=action,
                source=current,
                previous=current,
                request=request,
                now=now,
                note=request.note,
                extra=extra,
                lead_id=getattr(request.lead, "pk", None),
                lead_label=request.lead_label,
            )
        )
    if to_delete:
        OptOut.objects.filter(pk__in=to_delete).delete()
    optout_rollup_add(change=rollup)
    consent_events_insert(events=events)
    return results


def _check_channel(channel: str, allowed: frozenset) -> None:
    if Channel(channel) not in allowed:
        raise ValueError(f"Channel {channel!r} is not one this request can come from.")


# --- Opt-outs ---------------------------------------------------------------------------------


def phones_opt_out_by_staff(
    *,
    numbers: Iterable[str],
    user,
    channel: str,
    lead=None,
    note: str = "",
    details: dict | None = None,
    lead_of: Mapping[str, int | None] | None = None,
    note_of: Mapping[str, str] | None = None,
) -> list[ConsentResult]:
    """An agent or admin opts numbers out (lead page, report, API, import): source agent.

    Raises ConsentNotPermitted unless `user` holds optouts.opt_out_phone, and InvalidPhoneNumber
    if any number is malformed; either way nothing is written. A number already on the list keeps
    its source (`already_opted_out`): an agent opt-out never downgrades a contact or carrier one.
    `lead_of` names a lead id per E.164 number (the import's rows), else `lead` is used for all;
    `note_of` likewise a note per number (an uploaded list), else `note`. Results are sorted by
    number.
    """
    _check_channel(channel, STAFF_OPT_OUT_CHANNELS)
    if not user_can_opt_out(user):
        raise ConsentNotPermitted("You do not have permission to opt phone numbers out.")
    unique = _unique_numbers(numbers)
    lead_labels: Mapping[int, str] = {}
    if lead_of is not None:
        lead_of = {phone_normalize(number): lead_id for number, lead_id in lead_of.items()}
        # One query for the batch: the names the leads have now go into the events.
        lead_labels = lead_directory().labels(i for i in lead_of.values() if i is not None)
    if note_of is not None:
        note_of = {phone_normalize(number): text for number, text in note_of.items()}
    request = _Request(
        channel=channel,
        actor=user,
        lead=lead,
        note=note,
        details=details or {},
        lead_labels=lead_labels,
    )
    return _opt_out(unique, Source.AGENT, request, lead_of, note_of)


def phone_opt_out_by_contact(*, number: str, details: dict | None = None) -> ConsentResult:
    """The contact texted a stop word: source contact, channel keyword, no user.

    Wins over every other source; only the contact's own start word undoes it.
    """
    request = _Request(channel=Channel.KEYWORD, details=details or {})
    (result,) = _opt_out(_unique_numbers([number]), Source.CONTACT, request)
    return result


def phone_opt_out_by_contact_at_deadline(
    *, number: str, deadline, details: dict | None = None
) -> ConsentResult:
    """A text from the contact that may revoke consent was not decided by its revocation
    deadline (optouts.messaging.deadlines): the system applies it as the contact's opt-out.

    Source contact, channel keyword (the contact's own words, by SMS), no user; the event says it
    was applied at the deadline, and when that was. Call it with the number's lock held when the
    decision to apply read anything about the number (a later start word).
    """
    details = {**(details or {}), "applied": "at_revocation_deadline"}
    details["deadline"] = deadline.isoformat()
    note = "Not decided by its revocation deadline: applied as the contact's opt-out."
    request = _Request(channel=Channel.KEYWORD, note=note, details=details)
    (result,) = _opt_out(_unique_numbers([number]), Source.CONTACT, request)
    return result


def phone_opt_out_by_carrier(
    *, number: str, lead=None, details: dict | None = None, reason: str = ""
) -> ConsentResult:
    """The carrier or provider reported the number opted out or unreachable: source system.

    Upgrades an agent opt-out, never downgrades a contact one; an admin cannot undo it.
    `reason` (a CarrierReason: unreachable, unknown, landline; "" for a plain opt-out) is kept
    on the list row and in the event's details as `reason`. A number already opted out by the
    system keeps the reason it was first reported with (nothing changes, no event).
    """
    if reason and reason not in CarrierReason.values:
        raise ValueError(f"{reason!r} is not a carrier reason.")
    details = dict(details or {})
    if reason:
        details["reason"] = reason
    request = _Request(channel=Channel.CARRIER, lead=lead, details=details, reason=reason)
    (result,) = _opt_out(_unique_numbers([number]), Source.SYSTEM, request)
    return result


# --- Opt-ins ----------------------------------------------------------------------------------


def phones_opt_in_by_admin(
    *,
    numbers: Iterable[str],
    user,
    channel: str,
    note: str,
    evidence: str = "",
    lead=None,
    details: dict | None = None,
) -> list[ConsentResult]:
    """An admin takes agent opt-outs off the list (lead page, report, API), with a reason.

    `note` (why the number may be texted again) is required: blank raises OptInNoteRequired and
    nothing is written. `evidence` (optional: how the contact gave consent, a URL or a document
    reference) goes into each event's details as `consent_evidence`; longer than
    CONSENT_EVIDENCE_MAX raises OptInEvidenceTooLong, nothing written. A user without
    optouts.opt_in_phone is refused per number (`not_permitted`); contact and system opt-outs are
    refused with their reason. Every refusal writes an event. Results are sorted by number.
    """
    _check_channel(channel, ADMIN_OPT_IN_CHANNELS)
    note = (note or "").strip()
    if not note:
        raise OptInNoteRequired()
    evidence = (evidence or "").strip()
    if len(evidence) > CONSENT_EVIDENCE_MAX:
        raise OptInEvidenceTooLong()
    unique = _unique_numbers(numbers)
    details = dict(details or {})
    if evidence:
        details["consent_evidence"] = evidence
    request = _Request(channel=channel, actor=user, lead=lead, note=note, details=details)
    permitted = user_can_opt_in(user)
    with transaction.atomic():
        return _opt_in_locked(unique, Requester.ADMIN, permitted, request)


def phone_opt_in_by_contact(*, number: str, details: dict | None = None) -> ConsentResult:
    """The contact texted a start word: off the list whatever the source, channel keyword."""
    request = _Request(channel=Channel.KEYWORD, details=details or {})
    with transaction.atomic():
        (result,) = _opt_in_locked(_unique_numbers([number]), Requester.CONTACT, True, request)
    return result
