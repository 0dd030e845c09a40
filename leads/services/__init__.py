"""Writes to leads: the batch writer (writer.py) and its one-row calls (lead.py)."""

from leads.services.lead import (
    LeadPhoneError,
    LeadWriteResult,
    PhoneInput,
    lead_create,
    lead_phones_normalize,
    lead_update,
    lead_upsert,
)
from leads.services.listed import (
    leads_listed_after_commit,
    leads_listed_of,
    leads_listed_rebuild,
    leads_listed_refresh_numbers,
    leads_listed_set,
)
from leads.services.writer import (
    LEAD_FIELDS,
    LeadRow,
    LeadsWriteResult,
    leads_write,
)

__all__ = [
    "LEAD_FIELDS",
    "LeadPhoneError",
    "LeadRow",
    "LeadWriteResult",
    "LeadsWriteResult",
    "PhoneInput",
    "lead_create",
    "lead_phones_normalize",
    "lead_update",
    "lead_upsert",
    "leads_listed_after_commit",
    "leads_listed_of",
    "leads_listed_rebuild",
    "leads_listed_refresh_numbers",
    "leads_listed_set",
    "leads_write",
]
