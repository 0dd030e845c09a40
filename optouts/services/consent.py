"""The consent services: every write to the opt-out list goes through one of these functions.

Each is named by who asks (staff, the contact, the carrier, an admin) and fixes the source, the
channels it accepts and the permission it needs; no caller chooses a source. Each is one
transaction: the list change and its audit event commit together or not at all
(optouts.services.apply writes them, under the numbers' locks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied

from optouts.lead_directory import LeadRef
from optouts.models import (
    CONTACT_CHANNELS,
    SPOKEN_CHANNELS,
    CarrierReason,
    Channel,
    EventAction,
    Source,
)
from optouts.permissions import user_can_opt_in, user_can_opt_out
from optouts.services.apply import (
    ConsentRequest,
    consent_event_apply,
    opt_in_apply,
    opt_out_apply,
    phone_numbers_unique,
)
from optouts.services.rules import ConsentResult, Requester
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


class DismissReasonRequired(InputError):
    """A possible opt-out dismissed without a reason; nothing was written."""

    code = "reason_required"

    def __init__(self) -> None:
        detail = (
            "Say why this message does not revoke consent (for example: the contact asked us to "
            "stop by the branch, not to stop texting); it is kept in the number's history."
        )
        super().__init__(detail, errors={"reason": [detail]})


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


def _check_channel(channel: str, allowed: frozenset) -> None:
    if Channel(channel) not in allowed:
        raise ValueError(f"Channel {channel!r} is not one this request can come from.")


# --- Opt-outs ---------------------------------------------------------------------------------


def phones_opt_out_by_staff(
    *,
    numbers: Iterable[str],
    user,
    channel: str,
    lead: LeadRef | None = None,
    note: str = "",
    details: dict | None = None,
    lead_of: Mapping[str, LeadRef | None] | None = None,
    note_of: Mapping[str, str] | None = None,
) -> list[ConsentResult]:
    """An agent or admin opts numbers out (lead page, report, API, import): source agent.

    Raises ConsentNotPermitted unless `user` holds optouts.opt_out_phone, and InvalidPhoneNumber
    if any number is malformed; either way nothing is written. A number already on the list keeps
    its source (`already_opted_out`): an agent opt-out never downgrades a contact or carrier one.
    `lead_of` names a lead per number (the import's rows), else `lead` is used for all;
    `note_of` likewise a note per number (an uploaded list), else `note`. Results are sorted by
    number.
    """
    _check_channel(channel, STAFF_OPT_OUT_CHANNELS)
    if not user_can_opt_out(user):
        raise ConsentNotPermitted("You do not have permission to opt phone numbers out.")
    unique = phone_numbers_unique(numbers=numbers)
    if lead_of is not None:
        lead_of = {phone_normalize(number): lead for number, lead in lead_of.items()}
    if note_of is not None:
        note_of = {phone_normalize(number): text for number, text in note_of.items()}
    request = ConsentRequest(
        channel=channel,
        actor=user,
        lead=lead,
        note=note,
        details=details or {},
    )
    return opt_out_apply(
        numbers=unique, source=Source.AGENT, request=request, lead_of=lead_of, note_of=note_of
    )


def phones_opt_out_by_contact(
    *,
    numbers: Iterable[str],
    channel: str = Channel.KEYWORD,
    recorded_by=None,
    lead: LeadRef | None = None,
    note: str = "",
    details: dict | None = None,
) -> list[ConsentResult]:
    """The contact asked to stop: source contact, whoever applies it (docs/rules.md).

    `channel` is how the contact said it: keyword (a stop word), sms (a revocation in words, read
    by the system, confirmed by a reviewer or applied at its deadline), or call, email, in_person
    (said to a person). `recorded_by` is the user who applied or recorded it (a reviewer, an agent
    taking it down on a call), kept as the event's actor; a spoken channel needs one, and that
    user must hold optouts.opt_out_phone (else ConsentNotPermitted, nothing written). Whoever
    applies it, the source is contact: it wins over every other source and only the contact's own
    start word undoes it. Results are sorted by number.
    """
    _check_channel(channel, CONTACT_CHANNELS)
    if recorded_by is not None and not user_can_opt_out(recorded_by):
        raise ConsentNotPermitted("You do not have permission to opt phone numbers out.")
    if recorded_by is None and Channel(channel) in SPOKEN_CHANNELS:
        raise ValueError("A request said to a person is recorded by that person: give recorded_by.")
    details = dict(details or {})
    if recorded_by is not None:
        # The event's actor applied it; this says whose decision it was.
        details["requested_by"] = "contact"
    request = ConsentRequest(
        channel=channel, actor=recorded_by, lead=lead, note=note, details=details
    )
    return opt_out_apply(
        numbers=phone_numbers_unique(numbers=numbers), source=Source.CONTACT, request=request
    )


def phone_opt_out_by_contact(
    *,
    number: str,
    channel: str = Channel.KEYWORD,
    recorded_by=None,
    lead: LeadRef | None = None,
    note: str = "",
    details: dict | None = None,
) -> ConsentResult:
    """phones_opt_out_by_contact for one number (a stop word, a revocation in words)."""
    (result,) = phones_opt_out_by_contact(
        numbers=[number],
        channel=channel,
        recorded_by=recorded_by,
        lead=lead,
        note=note,
        details=details,
    )
    return result


# Who asked, as staff say it on the lead page and in the API: the agent's own decision, or the
# contact's request said to a person (docs/rules.md, "Who asked").
ASKED_BY_AGENT = "agent"
ASKED_BY_CHANNELS = {
    "contact_call": Channel.CALL,
    "contact_email": Channel.EMAIL,
    "contact_in_person": Channel.IN_PERSON,
}
ASKED_BY_CHOICES = (
    ("contact_call", "The contact asked, on a phone call"),
    ("contact_email", "The contact asked, by email"),
    ("contact_in_person", "The contact asked, in person"),
    (ASKED_BY_AGENT, "Agent decision (an admin can undo it)"),
)


def phones_opt_out_as_asked(
    *,
    numbers: Iterable[str],
    user,
    asked_by: str,
    channel: str,
    lead: LeadRef | None = None,
    note: str = "",
    details: dict | None = None,
) -> list[ConsentResult]:
    """Staff opt numbers out and say who asked: `asked_by` "agent" is the agent's decision
    (phones_opt_out_by_staff through `channel`: source agent, an admin may undo it); one of
    ASKED_BY_CHANNELS is the contact's own request taken down by `user`
    (phones_opt_out_by_contact: source contact through that channel, only the contact's START
    undoes it). Raises ValueError for any other `asked_by`, before writing anything."""
    if asked_by == ASKED_BY_AGENT:
        return phones_opt_out_by_staff(
            numbers=numbers, user=user, channel=channel, lead=lead, note=note, details=details
        )
    if asked_by not in ASKED_BY_CHANNELS:
        raise ValueError(f"{asked_by!r} is not who may ask for an opt-out.")
    return phones_opt_out_by_contact(
        numbers=numbers,
        channel=ASKED_BY_CHANNELS[asked_by],
        recorded_by=user,
        lead=lead,
        note=note,
        details={**(details or {}), "recorded_through": channel},
    )


def phone_opt_out_by_carrier(
    *, number: str, lead: LeadRef | None = None, details: dict | None = None, reason: str = ""
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
    request = ConsentRequest(channel=Channel.CARRIER, lead=lead, details=details, reason=reason)
    (result,) = opt_out_apply(
        numbers=phone_numbers_unique(numbers=[number]), source=Source.SYSTEM, request=request
    )
    return result


# --- Opt-ins ----------------------------------------------------------------------------------


def phones_opt_in_by_admin(
    *,
    numbers: Iterable[str],
    user,
    channel: str,
    note: str,
    evidence: str = "",
    lead: LeadRef | None = None,
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
    unique = phone_numbers_unique(numbers=numbers)
    details = dict(details or {})
    if evidence:
        details["consent_evidence"] = evidence
    request = ConsentRequest(channel=channel, actor=user, lead=lead, note=note, details=details)
    permitted = user_can_opt_in(user)
    return opt_in_apply(numbers=unique, by=Requester.ADMIN, permitted=permitted, request=request)


def phone_opt_in_by_contact(*, number: str, details: dict | None = None) -> ConsentResult:
    """The contact texted a start word: off the list whatever the source, channel keyword."""
    request = ConsentRequest(channel=Channel.KEYWORD, details=details or {})
    (result,) = opt_in_apply(
        numbers=phone_numbers_unique(numbers=[number]),
        by=Requester.CONTACT,
        permitted=True,
        request=request,
    )
    return result


# --- What changes no list row but is part of the number's consent story ----------------------


def phone_revocation_pending_record(*, number: str, details: dict | None = None) -> None:
    """The contact texted something that may revoke consent: texts to the number pause until a
    person decides (docs/rules.md). Writes the `revocation_pending` event; the caller opens the
    inbox item in the same transaction (the number's lock is held from here to its commit)."""
    request = ConsentRequest(channel=Channel.SMS, details=details or {})
    consent_event_apply(
        number=phone_normalize(number), action=EventAction.REVOCATION_PENDING, request=request
    )


def phone_revocation_dismissed_record(
    *, number: str, user, reason: str, details: dict | None = None
) -> None:
    """A possible revocation was decided not to be one: the `revocation_dismissed` event, with
    the reason as its note. `user` is the admin who decided (the event's actor, channel ui), or
    None when the system closed it because the contact texted START afterwards (channel
    keyword). Raises ConsentNotPermitted unless `user` may opt numbers in (dismissing a
    contact's words is an admin's decision, as an opt-in is), and DismissReasonRequired for a
    blank reason; nothing is written then."""
    if user is not None and not user_can_opt_in(user):
        raise ConsentNotPermitted("Only an admin can dismiss a possible opt-out.")
    reason = (reason or "").strip()
    if not reason:
        raise DismissReasonRequired()
    channel = Channel.UI if user is not None else Channel.KEYWORD
    request = ConsentRequest(channel=channel, actor=user, note=reason, details=details or {})
    consent_event_apply(
        number=phone_normalize(number), action=EventAction.REVOCATION_DISMISSED, request=request
    )


def phone_unreachable_record(
    *, number: str, held: bool, user=None, details: dict | None = None
) -> None:
    """The carrier could not reach the number too often (`held`: texts stop) or it is reachable
    again (not `held`: texts may go; `user` the admin who lifted the hold, if one did). Not an
    opt-out: the list is untouched (docs/rules.md)."""
    action = EventAction.UNREACHABLE_HOLD if held else EventAction.UNREACHABLE_CLEARED
    channel = Channel.CARRIER if user is None else Channel.UI
    request = ConsentRequest(channel=channel, actor=user, details=details or {})
    consent_event_apply(number=phone_normalize(number), action=action, request=request)
