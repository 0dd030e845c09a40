"""Reads of leads, always with the computed SMS Opt-Out."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from leads.models import Lead, LeadPhone


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


def leads_sharing_number(*, number: str, exclude_lead_id: int | None = None) -> QuerySet[Lead]:
    """Other leads that carry the same E.164 number (opt-out is per number, so it affects them)."""
    queryset = Lead.objects.filter(phones__number=number).distinct()
    if exclude_lead_id is not None:
        queryset = queryset.exclude(pk=exclude_lead_id)
    return queryset
