"""Reads of leads, always with the computed SMS Opt-Out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from leads.models import Lead, LeadPhone
from optouts.selectors import PhoneStatus, phones_status
from optouts.services import opt_out_explanation
from velocify_sms.phones import (
    InvalidPhoneNumber,
    phone_format_national,
    phone_normalize,
    phone_prefix_to_e164,
)


def lead_list(*, sms_opt_out: bool | None = None) -> QuerySet[Lead]:
    """Leads with `sms_opt_out` annotated in the query, and their phones prefetched."""
    queryset = (
        Lead.objects.with_sms_opt_out()
        .select_related("assigned_agent")
        .prefetch_related(Prefetch("phones", queryset=LeadPhone.objects.order_by("id")))
    )
    if sms_opt_out is not None:
        queryset = queryset.filter(sms_opt_out=sms_opt_out)
    return queryset


@dataclass(frozen=True)
class LeadPhoneConsent:
    """One phone of a lead with its place on the opt-out list and the other leads sharing it."""

    phone: LeadPhone
    status: PhoneStatus
    other_leads: list[Lead] = field(default_factory=list)

    @property
    def number_display(self) -> str:
        return phone_format_national(self.phone.number)

    @property
    def undo(self) -> str:
        """What it takes to opt this number back in, in the words of the rules."""
        if not self.status.sms_opted_out:
            return ""
        return opt_out_explanation(source=self.status.source)


def lead_phones_consent(*, lead: Lead) -> list[LeadPhoneConsent]:
    """The consent status of each of a lead's phones, in three queries whatever their number."""
    phones = list(LeadPhone.objects.filter(lead=lead).order_by("id"))
    numbers = [p.number for p in phones]
    statuses = phones_status(numbers=numbers)
    others: dict[str, list[Lead]] = {n: [] for n in numbers}
    sharing = (
        LeadPhone.objects.filter(number__in=numbers)
        .exclude(lead=lead)
        .select_related("lead")
        .order_by("lead_id")
    )
    for shared in sharing:
        others[shared.number].append(shared.lead)
    return [LeadPhoneConsent(p, statuses[p.number], others[p.number]) for p in phones]


def lead_ids_existing(*, ids: Iterable[int | None]) -> set[int]:
    """Those of `ids` whose lead still exists, in one query.

    Consent events keep the id of a lead that was later deleted (history is never rewritten);
    the lead page links only the ones still there.
    """
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(Lead.objects.filter(pk__in=wanted).values_list("pk", flat=True))


_PHONE_SEARCH = re.compile(r"^\+?[\d\s().\-/]+$")


def lead_ids_with_phone_like(*, term: str) -> QuerySet[LeadPhone] | None:
    """Lead ids whose phone matches `term` typed in any format, or None if it is no phone.

    A whole number (`(415) 555-2671`, `+1 415 555 2671`, `4155552671`) matches exactly after
    normalising to E.164; three or more digits that are not a whole number match the start of
    the number (`415` finds `+1415...`). For a `pk__in` filter: no duplicates, no join.
    """
    text = term.strip()
    if not _PHONE_SEARCH.match(text) or sum(c.isdigit() for c in text) < 3:
        return None
    try:
        number = phone_normalize(text)
    except InvalidPhoneNumber:
        try:
            prefix = phone_prefix_to_e164(text)
        except ValueError:
            return None
        return LeadPhone.objects.filter(number__startswith=prefix).values("lead_id")
    return LeadPhone.objects.filter(number=number).values("lead_id")
