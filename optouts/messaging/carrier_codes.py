"""What a provider error code on a status callback means for the opt-out list.

The codes that opt a number out at all are the setting SMS_SYSTEM_OPT_OUT_ERROR_CODES (default:
the four below); this table says which reason the System row and its event record, so an admin
can tell a contact who revoked at the carrier (no reason: the contact must text START) from a
number that cannot receive texts (unreachable, unknown, landline).
"""

from __future__ import annotations

from optouts.models import CarrierReason

CARRIER_CODE_REASONS: dict[str, str] = {
    # Twilio 21610 "Attempt to send to unsubscribed recipient": the recipient texted STOP to this
    # sender at the carrier or Twilio; a revocation, so no reason (https://www.twilio.com/docs/api/errors/21610).
    "21610": "",
    # Twilio 30003 "Unreachable destination handset": switched off, out of coverage, or a
    # number that cannot take SMS (https://www.twilio.com/docs/api/errors/30003).
    "30003": CarrierReason.UNREACHABLE,
    # Twilio 30005 "Unknown destination handset": the number is unknown or no longer active
    # (https://www.twilio.com/docs/api/errors/30005).
    "30005": CarrierReason.UNKNOWN,
    # Twilio 30006 "Landline or unreachable carrier": a landline, or a carrier that cannot
    # deliver SMS (https://www.twilio.com/docs/api/errors/30006).
    "30006": CarrierReason.LANDLINE,
}


def carrier_code_reason(*, error_code: str) -> str:
    """The CarrierReason value for a provider error code, "" when the code carries none (21610,
    or a code an operator added to SMS_SYSTEM_OPT_OUT_ERROR_CODES that this table does not
    know)."""
    return str(CARRIER_CODE_REASONS.get(error_code.strip(), ""))
