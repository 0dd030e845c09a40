"""System checks of the SMS channel's policy settings (registered by optouts/apps.py).

The rules table (optouts/messaging/policy_rules.py) and the revocation deadline's limit
(optouts/messaging/deadlines.py) are the one source of the rules; settings may only narrow them.
Every command that runs the checks (runserver, migrate, the workers' commands, `check`) refuses
to start on one of these errors; the send policy clamps to the table whatever was set.

- optouts.E201: SMS_SEND_WINDOW_START or _END outside the federal window.
- optouts.E202: SMS_SEND_WINDOW_START not before SMS_SEND_WINDOW_END.
- optouts.E203: SMS_REVOCATION_DEADLINE_BUSINESS_DAYS above the FCC's 10 business days.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from optouts.messaging.deadlines import REVOCATION_DEADLINE_MAX_BUSINESS_DAYS
from optouts.messaging.policy_rules import FEDERAL


@checks.register()
def send_window_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    policy = settings.SMS_SEND_POLICY
    start = policy["SEND_WINDOW_START"] or FEDERAL.start
    end = policy["SEND_WINDOW_END"] or FEDERAL.end
    federal = f"{FEDERAL.start:%H:%M}-{FEDERAL.end:%H:%M}"
    errors = [
        checks.Error(
            f"SMS_{key}={value:%H:%M} is outside {federal}: it may only narrow the federal window "
            "(at the recipient), never widen it.",
            hint="Unset it (the federal window applies) or set a time inside the window.",
            id="optouts.E201",
        )
        for key, value in (("SEND_WINDOW_START", start), ("SEND_WINDOW_END", end))
        if not FEDERAL.start <= value <= FEDERAL.end
    ]
    if start >= end:
        errors.append(
            checks.Error(
                f"SMS_SEND_WINDOW_START ({start:%H:%M}) must be before "
                f"SMS_SEND_WINDOW_END ({end:%H:%M}).",
                id="optouts.E202",
            )
        )
    return errors


@checks.register()
def revocation_deadline_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    days = settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS
    if days is None or days <= REVOCATION_DEADLINE_MAX_BUSINESS_DAYS:
        return []
    most = REVOCATION_DEADLINE_MAX_BUSINESS_DAYS
    return [
        checks.Error(
            f"SMS_REVOCATION_DEADLINE_BUSINESS_DAYS={days} is above {most}: a revocation must be "
            f"honoured within {most} business days (FCC, 47 CFR 64.1200(a)(10)).",
            hint=f"Unset it ({most} business days) or set a smaller number.",
            id="optouts.E203",
        )
    ]
