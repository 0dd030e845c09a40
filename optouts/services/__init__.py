"""The consent core: rules (pure), the per-number lock, and the services that apply them.

Callers import from here; see each module for the why.
"""

from optouts.evidence.services import consent_events_insert, consent_events_seal
from optouts.services.backdated import BackdatedOptOut, optouts_backdated_write
from optouts.services.consent import (
    ADMIN_OPT_IN_CHANNELS,
    ASKED_BY_AGENT,
    ASKED_BY_CHANNELS,
    ASKED_BY_CHOICES,
    CONSENT_EVIDENCE_MAX,
    STAFF_OPT_OUT_CHANNELS,
    ConsentNotPermitted,
    DismissReasonRequired,
    OptInEvidenceTooLong,
    OptInNoteRequired,
    phone_opt_in_by_contact,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
    phone_revocation_dismissed_record,
    phone_revocation_pending_record,
    phone_unreachable_record,
    phones_opt_in_by_admin,
    phones_opt_out_as_asked,
    phones_opt_out_by_contact,
    phones_opt_out_by_staff,
)
from optouts.services.list_import import ImportLine, OptOutImportError, optout_list_import
from optouts.services.locks import phone_numbers_lock
from optouts.services.rollup import (
    optout_rollup_add,
    optout_rollup_live,
    optout_rollup_of_rows,
    optout_rollup_rebuild,
)
from optouts.services.rules import (
    ConsentResult,
    Outcome,
    RefusalReason,
    Requester,
    admin_may_opt_in,
    admin_opt_in_refusal,
    opt_in_decision,
    opt_out_decision,
    opt_out_explanation,
    refusal_sentence,
)

__all__ = [
    "ADMIN_OPT_IN_CHANNELS",
    "ASKED_BY_AGENT",
    "BackdatedOptOut",
    "ASKED_BY_CHANNELS",
    "ASKED_BY_CHOICES",
    "CONSENT_EVIDENCE_MAX",
    "STAFF_OPT_OUT_CHANNELS",
    "ConsentNotPermitted",
    "DismissReasonRequired",
    "ConsentResult",
    "ImportLine",
    "OptInEvidenceTooLong",
    "OptInNoteRequired",
    "OptOutImportError",
    "Outcome",
    "RefusalReason",
    "Requester",
    "admin_may_opt_in",
    "admin_opt_in_refusal",
    "consent_events_insert",
    "consent_events_seal",
    "opt_in_decision",
    "opt_out_decision",
    "opt_out_explanation",
    "optout_list_import",
    "optout_rollup_add",
    "optout_rollup_live",
    "optout_rollup_of_rows",
    "optout_rollup_rebuild",
    "optouts_backdated_write",
    "phone_numbers_lock",
    "phone_opt_in_by_contact",
    "phone_opt_out_by_carrier",
    "phone_opt_out_by_contact",
    "phone_revocation_dismissed_record",
    "phone_revocation_pending_record",
    "phone_unreachable_record",
    "phones_opt_out_by_contact",
    "phones_opt_in_by_admin",
    "phones_opt_out_as_asked",
    "phones_opt_out_by_staff",
    "refusal_sentence",
]
