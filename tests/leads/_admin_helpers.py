"""POST bodies for the lead add/edit page, as the browser would send them."""

from __future__ import annotations

from django.urls import reverse

from leads.models import Lead


def add_url() -> str:
    return reverse("admin:leads_lead_add")


def list_url() -> str:
    return reverse("admin:leads_lead_changelist")


def export_url() -> str:
    return reverse("admin:leads_lead_export_csv")


def change_url(lead: Lead) -> str:
    return reverse("admin:leads_lead_change", args=[lead.pk])


def opt_out_url(lead: Lead, phone) -> str:
    return reverse("admin:leads_lead_phone_opt_out", args=[lead.pk, phone.pk])


def opt_in_url(lead: Lead, phone) -> str:
    return reverse("admin:leads_lead_phone_opt_in", args=[lead.pk, phone.pk])


def lead_post(*, lead: Lead | None = None, phones=(), new_phones=(), deleted=(), **fields) -> dict:
    """The form data of the lead page: `phones` are the lead's saved LeadPhone rows (with an
    optional {pk: new number} in `fields["edits"]`), `new_phones` numbers typed in new rows."""
    edits = fields.pop("edits", {})
    data = {
        "first_name": lead.first_name if lead else "",
        "last_name": lead.last_name if lead else "",
        "email": lead.email if lead else "",
        "company": lead.company if lead else "",
        "status": lead.status if lead else "new",
        "assigned_agent": (lead.assigned_agent_id or "") if lead else "",
        "_save": "Save",
    }
    data.update(fields)
    rows = []
    for phone in phones:
        row = {"id": phone.pk, "lead": lead.pk, "number": edits.get(phone.pk, phone.number)}
        row["kind"] = phone.kind
        if phone.pk in deleted:
            row["DELETE"] = "on"
        rows.append(row)
    for number in new_phones:
        rows.append({"id": "", "lead": lead.pk if lead else "", "number": number, "kind": "mobile"})
    data.update(
        {
            "phones-TOTAL_FORMS": str(len(rows)),
            "phones-INITIAL_FORMS": str(len(phones)),
            "phones-MIN_NUM_FORMS": "0",
            "phones-MAX_NUM_FORMS": "1000",
        }
    )
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"phones-{index}-{key}"] = value
    return data
