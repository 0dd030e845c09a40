"""The leads app's answers to optouts.lead_directory (registered in LeadsConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse

from leads.models import Lead, LeadPhone
from leads.services.listed import leads_listed_after_commit
from optouts.lead_directory import LeadLocation, LeadRef
from velocify_sms.db_arrays import in_values


def lead_label(*, first_name: str, last_name: str, email: str, lead_id: int) -> str:
    """Lead.__str__ from its columns: full name, else email, else the id."""
    return f"{first_name} {last_name}".strip() or email or f"Lead #{lead_id}"


class LeadsDirectory:
    def labels(self, ids: Iterable[int]) -> dict[int, str]:
        # One array for a batch's thousand leads (velocify_sms.db_arrays), not an IN list.
        rows = Lead.objects.filter(in_values("id", ids, sql_type="bigint")).values_list(
            "pk", "first_name", "last_name", "email"
        )
        return {
            pk: lead_label(first_name=first, last_name=last, email=email, lead_id=pk)
            for pk, first, last, email in rows
        }

    def refs_by_number(self, numbers: Iterable[str]) -> dict[str, list[LeadRef]]:
        found: dict[str, list[LeadRef]] = {}
        phones = (
            LeadPhone.objects.filter(number__in=list(set(numbers)))
            .order_by("number", "lead_id")
            .values_list("number", "lead_id", "lead__first_name", "lead__last_name", "lead__email")
        )
        for number, lead_id, first, last, email in phones:
            label = lead_label(first_name=first, last_name=last, email=email, lead_id=lead_id)
            found.setdefault(number, []).append(LeadRef(lead_id, label))
        return found

    def locations(self, ids: Iterable[int]) -> dict[int, LeadLocation]:
        rows = (
            Lead.objects.filter(pk__in=list(set(ids)))
            .exclude(state="", time_zone="")
            .values_list("pk", "state", "time_zone")
        )
        return {pk: LeadLocation(state=state, time_zone=zone) for pk, state, zone in rows}

    def lead_ids_sql(self, number_column: str) -> str:
        table = LeadPhone._meta.db_table
        return (
            f"(SELECT string_agg(p.lead_id::text, ' ' ORDER BY p.lead_id) FROM {table} p "  # noqa: S608
            f"WHERE p.number = {number_column})"
        )

    def change_url(self, lead_id: int) -> str | None:
        try:
            return reverse("admin:leads_lead_change", args=[lead_id])
        except NoReverseMatch:
            return None

    def listing_changed(self, numbers: Iterable[str], *, on_list: bool) -> None:
        leads_listed_after_commit(numbers=numbers, on_list=on_list)
