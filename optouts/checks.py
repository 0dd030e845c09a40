"""System checks of the consent module's settings (`manage.py check --deploy`)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils import timezone

# 47 C.F.R. § 64.1200(a)(10)'s revoke-all part is in force from this date (FCC 24-24, as
# delayed by the FCC's orders of 2025).
REVOKE_ALL_IN_FORCE = date(2027, 1, 31)


@register(Tags.security, deploy=True)
def revocation_scope_check(app_configs=None, *, today: date | None = None, **kwargs):
    """Warn when revocations are kept to SMS while the revoke-all rule is in force."""
    today = today or timezone.localdate()
    if settings.CONSENT_REVOCATION_SCOPE != "sms" or today < REVOKE_ALL_IN_FORCE:
        return []
    return [
        Warning(
            "CONSENT_REVOCATION_SCOPE=sms keeps a contact's revocation to SMS, but from "
            "31 January 2027 a revocation covers every autodialed or prerecorded call and text "
            "from the business (47 C.F.R. § 64.1200(a)(10)).",
            hint="Unset CONSENT_REVOCATION_SCOPE (the default, all) and have the dialer ask "
            "POST /api/v1/sms/call-consent/ before each campaign (docs/compliance.md).",
            id="optouts.W001",
        )
    ]
