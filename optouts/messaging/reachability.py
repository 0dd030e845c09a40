"""Numbers the carrier cannot reach: a hold on texts that is not an opt-out (docs/rules.md).

Twilio's 30003 ("unreachable destination handset") usually means a phone that is off or out of
coverage: a fact about delivery, not a consent decision. Each such failure is counted; after
SMS_UNREACHABLE_FAILURES of them within SMS_UNREACHABLE_DAYS days the number is held: the send
guard refuses texts to it (`unreachable`), the opt-out list is untouched (nothing but an opt-out
request puts a number there) and the number's history gets an `unreachable_hold` event. After
SMS_UNREACHABLE_RETRY_DAYS the guard lets texts through again as a retry: a delivered one lifts
the hold, a failed one renews it. A text from the number proves it reachable and lifts it at
once; so can an admin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from optouts.messaging.models import MessageStatus, OutboundMessage, UnreachableHold
from optouts.permissions import user_can_opt_in
from optouts.services import ConsentNotPermitted, phone_numbers_lock, phone_unreachable_record

UNREACHABLE = "unreachable"  # StatusCallbackEvent.action of a counted failure
UNREACHABLE_HOLD = "unreachable_hold"  # ... of the failure that started or renewed a hold


def unreachable_code(*, error_code: str) -> bool:
    return bool(error_code) and error_code in settings.SMS_UNREACHABLE_ERROR_CODES


def phone_unreachable_failure_record(
    *, message: OutboundMessage, error_code: str, message_sid: str, at: datetime
) -> str:
    """Count one failure to reach `message`'s number; hold the number when the failures within
    SMS_UNREACHABLE_DAYS reach SMS_UNREACHABLE_FAILURES (or renew a hold whose retry failed).

    Returns the callback action to log: UNREACHABLE_HOLD when this failure started or renewed a
    hold, else UNREACHABLE. Call it inside the callback's transaction; it takes the number's
    lock, so a send being guarded either saw no hold or waits for it.
    """
    number = message.to_number
    phone_numbers_lock(numbers=[number])
    failure = {"message_sid": message_sid, "error_code": error_code, "at": at.isoformat()}
    hold = UnreachableHold.objects.select_for_update().filter(phone_number=number).first()
    retry = timedelta(days=settings.SMS_UNREACHABLE_RETRY_DAYS)
    if hold is not None:
        hold.failures = [*hold.failures, failure][-20:]
        renewed = at >= hold.retry_after
        if renewed:
            hold.retry_after = at + retry
        hold.save(update_fields=["failures", "retry_after"])
        if renewed:
            phone_unreachable_record(number=number, held=True, details={**failure, "renewed": True})
            return UNREACHABLE_HOLD
        return UNREACHABLE
    since = at - timedelta(days=settings.SMS_UNREACHABLE_DAYS)
    # Each message counts once, whether its failure came back from the send or a callback.
    earlier = list(
        OutboundMessage.objects.filter(
            to_number=number,
            status=MessageStatus.FAILED,
            error_code__in=settings.SMS_UNREACHABLE_ERROR_CODES,
            status_changed_at__gte=since,
        )
        .exclude(pk=message.pk)
        .order_by("status_changed_at", "pk")
        .values("provider_id", "error_code", "status_changed_at")
    )
    if len(earlier) + 1 < settings.SMS_UNREACHABLE_FAILURES:
        return UNREACHABLE
    failures = [
        {
            "message_sid": e["provider_id"],
            "error_code": e["error_code"],
            "at": e["status_changed_at"].isoformat(),
        }
        for e in earlier
    ] + [failure]
    UnreachableHold.objects.create(
        phone_number=number, held_at=at, retry_after=at + retry, failures=failures[-20:]
    )
    phone_unreachable_record(
        number=number, held=True, details={**failure, "failures": len(failures)}
    )
    return UNREACHABLE_HOLD


def phone_unreachable_lift(
    *, number: str, why: str, user=None, details: dict | None = None
) -> bool:
    """Lift the number's hold, if it has one (`why`: "inbound" when it texted us, "delivered" for
    a delivered retry, "admin" with `user` the admin); writes the `unreachable_cleared` event.
    Returns whether a hold was lifted. Raises ConsentNotPermitted when `why` is "admin" and
    `user` may not opt numbers in. Takes the number's lock; call it inside a transaction."""
    if why == "admin" and not user_can_opt_in(user):
        raise ConsentNotPermitted("Only an admin can lift an unreachable hold.")
    phone_numbers_lock(numbers=[number])
    deleted, _ = UnreachableHold.objects.filter(phone_number=number).delete()
    if deleted:
        phone_unreachable_record(
            number=number, held=False, user=user, details={"why": why, **(details or {})}
        )
    return bool(deleted)


def phone_unreachable_retry_due(*, hold: UnreachableHold, now: datetime | None = None) -> bool:
    """Whether a held number may be tried again now (the guard lets the text through)."""
    return (now or timezone.now()) >= hold.retry_after
