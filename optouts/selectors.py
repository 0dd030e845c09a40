"""Reads of the opt-out list and the consent history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from optouts.models import ConsentEvent, OptOut, Source
from optouts.services import OptInBy, opt_in_decision
from velocify_sms.phones import phone_normalize


@dataclass(frozen=True)
class PhoneStatus:
    phone_number: str
    sms_opted_out: bool
    source: str | None
    opted_out_at: datetime | None
    optout: OptOut | None

    @property
    def can_opt_in(self) -> bool:
        """Whether an admin could opt this number in now (agent opt-outs only)."""
        outcome, _ = opt_in_decision(current=self.source, by=OptInBy.ADMIN)
        return outcome == "opted_in"


def phones_opted_out(*, numbers: Iterable[str]) -> dict[str, str]:
    """{E.164 number: source} for those of `numbers` (already E.164) on the list; one query."""
    wanted = list(set(numbers))
    if not wanted:
        return {}
    return dict(
        OptOut.objects.filter(phone_number__in=wanted).values_list("phone_number", "source")
    )


def phone_is_opted_out(*, number: str) -> bool:
    """Whether an E.164 number is on the list (the send guard's question)."""
    return OptOut.objects.filter(phone_number=number).exists()


def phone_status(*, number: str) -> PhoneStatus:
    """Status of a number typed in any form (raises InvalidPhoneNumber)."""
    e164 = phone_normalize(number)
    row = OptOut.objects.select_related("actor", "lead").filter(phone_number=e164).first()
    return PhoneStatus(
        phone_number=e164,
        sms_opted_out=row is not None,
        source=row.source if row else None,
        opted_out_at=row.opted_out_at if row else None,
        optout=row,
    )


def phone_history(*, numbers: Iterable[str]) -> QuerySet[ConsentEvent]:
    """Consent events of E.164 `numbers`, newest first."""
    return (
        ConsentEvent.objects.filter(phone_number__in=list(numbers))
        .select_related("actor", "lead")
        .order_by("-created_at", "-id")
    )


def optout_list(*, filters: dict | None = None) -> QuerySet[OptOut]:
    """The opt-out list, newest first, narrowed by the report's FilterSet when filters are given."""
    queryset = OptOut.objects.select_related("actor", "lead").order_by("-opted_out_at", "-id")
    if filters:
        from optouts.filters import OptOutFilter

        filterset = OptOutFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            from django.core.exceptions import ValidationError

            raise ValidationError(filterset.errors)
        queryset = filterset.qs
    return queryset


def optout_counts_by_source(*, queryset: QuerySet[OptOut]) -> dict[str, int]:
    """{source: count} for every source, zeros included."""
    from django.db.models import Count

    counts = {s.value: 0 for s in Source}
    for row in queryset.order_by().values("source").annotate(n=Count("id")):
        counts[row["source"]] = row["n"]
    return counts


def state_from_events(*, events: Iterable[ConsentEvent]) -> str | None:
    """Replay events (oldest first) of one number: its source, or None if opted in."""
    state = None
    for event in events:
        if event.action == ConsentEvent.Action.OPT_OUT:
            state = event.source
        elif event.action == ConsentEvent.Action.OPT_IN:
            state = None
    return state
