"""The consent rules of docs/rules.md as pure functions of (current state, request).

Nothing here reads or writes the database: the services in `optouts.services.consent` apply
these decisions under the number's lock (through `optouts.services.apply`), and the tests replay
them against the audit log. Every sentence
that explains a refusal or an opt-out to a person is built here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from optouts.models import SOURCE_RANK, Source


class Requester:
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


_REFUSAL_SENTENCES = {
    RefusalReason.CONTACT_OPT_OUT: (
        "The contact texted STOP: only the contact can opt back in, by texting START."
    ),
    RefusalReason.SYSTEM_OPT_OUT: (
        "The carrier reported this number opted out or unreachable: the contact must text START."
    ),
    RefusalReason.NOT_PERMITTED: "Only an admin can opt a phone number back in.",
}


def refusal_sentence(*, reason: str) -> str:
    """The one sentence that explains a refused opt-in, wherever it is shown."""
    return _REFUSAL_SENTENCES[reason]


def opt_out_explanation(*, source: str) -> str:
    """Why a number on the list may not be texted, and what undoes it, in the rules' words."""
    _, reason = opt_in_decision(current=source, by=Requester.ADMIN)
    if reason:
        return refusal_sentence(reason=reason)
    return (
        "Opted out in the CRM by an agent or an admin, not by the contact; "
        "an admin can opt it back in."
    )


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


def opt_out_decision(*, current: str | None, requested: str) -> str | None:
    """The source a number has after an opt-out request, or None if nothing changes.

    The stronger source wins (contact > system > agent); a weaker one never downgrades it.
    """
    if current is None or SOURCE_RANK[Source(requested)] > SOURCE_RANK[Source(current)]:
        return requested
    return None


def opt_in_decision(*, current: str | None, by: str, permitted: bool = True) -> tuple[str, str]:
    """(outcome, refusal reason or "") of an opt-in request on a number with source `current`."""
    if by == Requester.ADMIN and not permitted:
        return Outcome.REFUSED, RefusalReason.NOT_PERMITTED
    if current is None:
        return Outcome.NOT_OPTED_OUT, ""
    if by == Requester.CONTACT or current == Source.AGENT:
        return Outcome.OPTED_IN, ""
    if current == Source.CONTACT:
        return Outcome.REFUSED, RefusalReason.CONTACT_OPT_OUT
    return Outcome.REFUSED, RefusalReason.SYSTEM_OPT_OUT


def admin_may_opt_in(*, source: str | None) -> bool:
    """Whether an admin's opt-in would take a number with this source off the list."""
    outcome, _ = opt_in_decision(current=source, by=Requester.ADMIN)
    return outcome == Outcome.OPTED_IN


def admin_opt_in_refusal(*, source: str | None) -> str:
    """Why an admin may not opt a number with this source in ("" when they may)."""
    outcome, reason = opt_in_decision(current=source, by=Requester.ADMIN)
    return refusal_sentence(reason=reason) if outcome == Outcome.REFUSED else ""
