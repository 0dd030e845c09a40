"""Revoke-all: may the business place autodialed or prerecorded calls to a number?

The FCC's revocation rule (47 C.F.R. § 64.1200(a)(10), as amended by the 2024 order FCC 24-24,
in force for this part from 31 January 2027) makes a consumer's revocation cover every robocall
and robotext from the business, not only the channel it was said in. So a contact's own request
to stop, whatever carried it (a STOP, a revocation in words, a call, an email, a reviewer's
confirmation), and a revocation waiting for review both answer "no" here; an agent's decision
and a carrier's report (facts about SMS) leave calls allowed. With
CONSENT_REVOCATION_SCOPE=sms the module answers for SMS only and calls stay allowed; `check
--deploy` warns about that setting from 31 January 2027 (optouts.checks). docs/rules.md says it
in the rules' words; docs/compliance.md says what a dialer must ask and when.

The core does not know the SMS channel's inbox: the channel registers how to find numbers with a
pending revocation (`revocation_pending_lookup_register`, from the app's ready()).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

from optouts.models import Source
from optouts.selectors import phones_opted_out

CONTACT_REVOKED = "contact_revoked"
REVOCATION_PENDING = "revocation_pending"
SMS_ONLY_SCOPE = "sms"
CALL_REASON_CHOICES = [
    (CONTACT_REVOKED, "The contact revoked consent"),
    (REVOCATION_PENDING, "A possible revocation waits for review"),
]

_SENTENCES = {
    CONTACT_REVOKED: "The contact revoked consent: no autodialed or prerecorded calls or texts.",
    REVOCATION_PENDING: (
        "The contact wrote something that may revoke consent and a person has not decided yet: "
        "no autodialed or prerecorded calls or texts until then."
    ),
}

_pending_lookups: list[Callable[[list[str]], set[str]]] = []


def revocation_pending_lookup_register(lookup: Callable[[list[str]], set[str]]) -> None:
    """Register a function answering which of some E.164 numbers have a pending revocation."""
    if lookup not in _pending_lookups:
        _pending_lookups.append(lookup)


@dataclass(frozen=True)
class CallConsent:
    """Whether autodialed or prerecorded calls may be placed to a number, and if not, why."""

    phone_number: str
    autodialed_calls_allowed: bool
    reason: str = ""  # CONTACT_REVOKED, REVOCATION_PENDING or ""
    detail: str = ""


def phones_call_consent(*, numbers: Iterable[str]) -> dict[str, CallConsent]:
    """{E.164 number: CallConsent} for `numbers` (E.164): two queries whatever their count."""
    wanted = sorted(set(numbers))
    if settings.CONSENT_REVOCATION_SCOPE == SMS_ONLY_SCOPE:
        return {n: CallConsent(n, True) for n in wanted}
    listed = phones_opted_out(numbers=wanted)
    revoked = {n for n in wanted if listed.get(n) == Source.CONTACT}
    pending: set[str] = set()
    rest = [n for n in wanted if n not in revoked]
    for lookup in _pending_lookups:
        pending |= lookup(rest) if rest else set()
    answers = {}
    for number in wanted:
        reason = (
            CONTACT_REVOKED
            if number in revoked
            else REVOCATION_PENDING
            if number in pending
            else ""
        )
        answers[number] = CallConsent(number, not reason, reason, _SENTENCES.get(reason, ""))
    return answers
