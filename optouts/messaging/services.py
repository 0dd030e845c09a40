"""Writes of the SMS channel: the guarded send, the possible-opt-out inbox and its deadline.

Inbound keywords and status callbacks live in optouts.messaging.provider_callbacks and are
re-exported here, so callers import every messaging service from this module.

The send guard: `message_deliver` checks the opt-out list and hands the message to the provider
inside one transaction that holds `phone_numbers_lock(shared=True)` on the number. Opt-out writers
take that lock exclusively (optouts.services), so an opt-out either committed before the check
(and the check sees it: the send is blocked) or waits until the hand-off is over. No message ever
reaches the provider after an opt-out of its number has committed. The send policy (quiet hours
and frequency caps, optouts.messaging.policy) is checked in the same transaction, after the list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from optouts.lead_directory import lead_location
from optouts.messaging.backends import ProviderError, backend_get
from optouts.messaging.deadlines import revocation_deadline, revocation_overdue_before
from optouts.messaging.models import (
    InboundAction,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    PossibleOptOut,
    PossibleOptOutStatus,
    ReasonCode,
)
from optouts.messaging.policy import (
    PolicyDecision,
    quiet_hours_hold_possible,
    send_policy_decide,
    send_rules_for,
)
from optouts.messaging.provider_callbacks import (  # noqa: F401 - re-exported
    InboundResult,
    inbound_message_receive,
    message_status_record,
)
from optouts.models import Channel, Source
from optouts.selectors import phones_opted_out
from optouts.services import (
    ConsentResult,
    phone_numbers_lock,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact_at_deadline,
    phones_opt_out_by_staff,
)
from velocify_sms.phones import phone_normalize

logger = logging.getLogger(__name__)

MAX_BODY_LENGTH = 1600  # Twilio's limit for one (concatenated) message


class SendRefused(Exception):
    """The message was recorded as blocked or refused (`code` says why); nothing was sent."""

    def __init__(self, message: OutboundMessage) -> None:
        self.message = message
        self.code = message.reason_code
        super().__init__(message.reason)


class RecipientOptedOut(SendRefused):
    """The number is on the opt-out list; the message was recorded as blocked, nothing was sent."""


class MessageInvalid(ValueError):
    """The message cannot be sent as asked (empty or too long body); nothing was recorded."""


class PossibleOptOutResolved(Exception):
    """The possible opt-out was already decided by someone else."""


def _blocked_reason(number: str, source: str) -> str:
    label = Source(source).label.lower()
    return f"{number} is on the opt-out list (source: {label}); no SMS may be sent to it."


def _mark_blocked(message: OutboundMessage, source: str) -> None:
    message.status = MessageStatus.BLOCKED
    message.blocked_source = source
    message.reason_code = ReasonCode.RECIPIENT_OPTED_OUT
    message.reason = _blocked_reason(message.to_number, source)
    message.held_until = None
    message.status_changed_at = timezone.now()
    message.save(
        update_fields=[
            "status",
            "blocked_source",
            "reason_code",
            "reason",
            "held_until",
            "status_changed_at",
        ]
    )


def _apply_policy(message: OutboundMessage, decision: PolicyDecision) -> None:
    """Record a policy decision that stops the message now: held (quiet hours, when holding is
    possible; the caller enqueues the task for `held_until`) or refused."""
    hold = (
        decision.code == ReasonCode.QUIET_HOURS
        and decision.release_at is not None
        and quiet_hours_hold_possible()
    )
    message.reason_code = decision.code
    if hold:
        message.status = MessageStatus.HELD
        message.held_until = decision.release_at
        # The time first, then why: "Held until Monday 9:00 am, the contact's local time (...):
        # Texas allows no such texts on Sunday."
        message.reason = f"Held until {decision.release_text}: {decision.reason}"
    else:
        message.status = MessageStatus.REFUSED
        message.held_until = None
        message.reason = f"{decision.reason} Nothing was sent."
    message.status_changed_at = timezone.now()
    message.save(
        update_fields=["status", "reason_code", "reason", "held_until", "status_changed_at"]
    )


def _enqueue_held(message: OutboundMessage) -> None:
    from optouts.messaging.tasks import message_deliver_task

    message_deliver_task.using(run_after=message.held_until).enqueue(message_id=message.pk)


def _policy_stop(message: OutboundMessage, *, lead_id: int | None, now) -> bool:
    """Apply the send policy to a message that may otherwise go now; True when it stopped it
    (held, with its task enqueued, or refused)."""
    rules = send_rules_for(number=message.to_number, location=lead_location(lead_id))
    decision = send_policy_decide(number=message.to_number, rules=rules, now=now)
    if decision.allowed:
        return False
    _apply_policy(message, decision)
    if message.status == MessageStatus.HELD:
        _enqueue_held(message)
    return True


def message_send(*, to: str, body: str, lead_id: int | None = None, sender=None) -> OutboundMessage:
    """Record an SMS to `to` (any written form) and send it through the task queue.

    Raises InvalidPhoneNumber or MessageInvalid before recording anything. Raises SendRefused
    (after recording the message) when it may not be sent: RecipientOptedOut (blocked, the
    number is on the list), or code `frequency_cap`, or `quiet_hours` when quiet-hours sends are
    refused. Outside the recipient's allowed hours with SMS_QUIET_HOURS_ACTION=hold it is returned
    `held` (held_until set; the task worker sends it then, after checking everything again). Else,
    with a queue worker (TASKS_BACKEND=database or rq) it is returned `queued` and the worker runs
    the guarded hand-off (`message_deliver`); with the immediate backend it is returned `sent` or
    `failed`. Call it outside a transaction: the worker must see the committed message.
    `lead_id` is the lead the message is about, if any: the form or serializer has checked that
    it exists (optouts.lead_directory.lead_exists); its state or time zone count in the policy.
    """
    from optouts.messaging.tasks import message_deliver_task

    number = phone_normalize(to)
    body = (body or "").strip()
    if not body:
        raise MessageInvalid("The message is empty.")
    if len(body) > MAX_BODY_LENGTH:
        raise MessageInvalid(f"The message is {len(body)} characters long; the most is 1600.")
    now = timezone.now()
    message = OutboundMessage.objects.create(
        to_number=number,
        body=body,
        lead_id=lead_id,
        sender=sender,
        status=MessageStatus.QUEUED,
        backend=settings.SMS_BACKEND,
        created_at=now,
        status_changed_at=now,
    )
    # Early answers for the caller; the checks that guarantee the rules are in message_deliver.
    source = phones_opted_out(numbers=[number]).get(number)
    if source:
        _mark_blocked(message, source)
        raise RecipientOptedOut(message)
    if _policy_stop(message, lead_id=lead_id, now=now):
        if message.status == MessageStatus.HELD:
            return message
        raise SendRefused(message)
    result = message_deliver_task.enqueue(message_id=message.pk)
    if result.errors:
        logger.error("SMS %s: delivery task failed: %s", message.pk, result.errors[-1].traceback)
    message.refresh_from_db()
    if message.status == MessageStatus.BLOCKED:
        raise RecipientOptedOut(message)
    if message.status == MessageStatus.REFUSED:
        raise SendRefused(message)
    return message


def message_deliver(*, message_id: int) -> OutboundMessage:
    """The send guard and hand-off of one queued or held message (run by the task queue).

    Under the number's lock, in one transaction: the opt-out list, then the send policy (quiet
    hours, the frequency cap counted under the lock), then the hand-off. A held message whose
    time has come goes through all of it again. Idempotent: a message that is no longer queued
    or held is returned untouched, so a retried task never sends twice. A provider error whose
    code is in SMS_SYSTEM_OPT_OUT_ERROR_CODES (21610: the recipient replied STOP to the provider)
    puts the number on the list with source system.
    """
    carrier_code = ""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status not in (MessageStatus.QUEUED, MessageStatus.HELD):
            return message
        number = message.to_number
        rules = send_rules_for(number=number, location=lead_location(message.lead_id))
        # Shared: sends to one number run side by side, and an opt-out (exclusive) waits for
        # them or they for it. Exclusive when a cap applies: two sends to a capped number must
        # not both count the messages before either has sent, or both take the last free slot.
        phone_numbers_lock(numbers=[number], shared=rules.daily_cap is None)
        # A fresh snapshot after the lock: every opt-out and every send committed before now is
        # visible.
        source = phones_opted_out(numbers=[number]).get(number)
        if source:
            _mark_blocked(message, source)
            return message
        decision = send_policy_decide(number=number, rules=rules, now=timezone.now())
        if not decision.allowed:
            _apply_policy(message, decision)
            if message.status == MessageStatus.HELD:
                # Still (or again) outside the window: wait for the next opening. With the
                # database backend the new task commits with this transaction.
                _enqueue_held(message)
            return message
        backend = backend_get(message.backend or None)
        now = timezone.now()
        try:
            receipt = backend.send(message)
        except ProviderError as exc:
            message.status = MessageStatus.FAILED
            message.error_code = exc.code
            message.reason = exc.detail
            if exc.code and exc.code in settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES:
                carrier_code = exc.code
        else:
            message.status = MessageStatus.SENT
            message.provider_id = receipt.provider_id
            message.provider_status = receipt.provider_status
            message.sent_at = now
        message.reason_code = ""
        message.held_until = None
        message.status_changed_at = timezone.now()
        message.save()
    if carrier_code:
        # After the commit: the opt-out takes the number's lock exclusively, which this
        # transaction held shared.
        phone_opt_out_by_carrier(
            number=number,
            lead=message.lead,
            details={"error_code": carrier_code, "message_id": message.pk, "on": "send"},
        )
    return message


# --- The possible-opt-out inbox -----------------------------------------------------------------


def _possible_opt_out_locked(item_id: int) -> PossibleOptOut:
    item = PossibleOptOut.objects.select_for_update().select_related("inbound").get(pk=item_id)
    if item.status != PossibleOptOutStatus.OPEN:
        raise PossibleOptOutResolved(
            f"This message from {item.phone_number} was already handled "
            f"({item.get_status_display().lower()})."
        )
    return item


def possible_opt_out_confirm(*, item_id: int, actor) -> ConsentResult:
    """Opt the sender of a flagged message out (source agent, channel ui) and close the item."""
    with transaction.atomic():
        item = _possible_opt_out_locked(item_id)
        (result,) = phones_opt_out_by_staff(
            numbers=[item.phone_number],
            user=actor,
            channel=Channel.UI,
            details={
                "text": item.inbound.body,
                "message_sid": item.inbound.message_sid,
                "possible_opt_out": item.pk,
            },
        )
        item.status = PossibleOptOutStatus.OPTED_OUT
        item.resolved_at = timezone.now()
        item.resolved_by = actor
        item.save(update_fields=["status", "resolved_at", "resolved_by"])
    return result


def possible_opt_out_dismiss(*, item_id: int, actor) -> PossibleOptOut:
    """Close a flagged message without changing the number's consent."""
    with transaction.atomic():
        item = _possible_opt_out_locked(item_id)
        item.status = PossibleOptOutStatus.DISMISSED
        item.resolved_at = timezone.now()
        item.resolved_by = actor
        item.save(update_fields=["status", "resolved_at", "resolved_by"])
    return item


# --- The revocation deadline ---------------------------------------------------------------------


@dataclass
class DeadlineSweep:
    """What one sweep did, by inbox item id."""

    applied: list[int] = field(default_factory=list)  # opted out at the deadline
    superseded: list[int] = field(default_factory=list)  # dismissed: a start word came later
    failed: list[int] = field(default_factory=list)  # left open (logged); the next sweep retries


def _next_overdue_locked(overdue_before: datetime, failed: list[int]) -> PossibleOptOut | None:
    # SKIP LOCKED: an item another sweep is applying, or an agent is deciding, is theirs; this
    # sweep takes the next one instead of queueing behind it (and finds it decided later).
    return (
        PossibleOptOut.objects.select_for_update(skip_locked=True)
        .filter(status=PossibleOptOutStatus.OPEN, created_at__lt=overdue_before)
        .exclude(pk__in=failed)
        .order_by("created_at", "pk")
        .first()
    )


def _decide_at_deadline(item: PossibleOptOut) -> str:
    number = item.phone_number
    # The number's lock before reading its inbound texts: a start word being received now is
    # either committed (and seen here) or waits, and is applied after this opt-out. Without it,
    # the start word could commit unseen between the read and the opt-out, and the number would
    # end opted out although the contact's last word was START.
    phone_numbers_lock(numbers=[number])
    later_start = InboundMessage.objects.filter(
        phone_number=number, action=InboundAction.START, received_at__gt=item.created_at
    ).exists()
    if later_start:
        item.status = PossibleOptOutStatus.DISMISSED
    else:
        inbound = item.inbound
        phone_opt_out_by_contact_at_deadline(
            number=number,
            deadline=revocation_deadline(received_at=item.created_at),
            details={
                "text": inbound.body,
                "message_sid": inbound.message_sid,
                "possible_opt_out": item.pk,
            },
        )
        item.status = PossibleOptOutStatus.OPTED_OUT
    item.resolved_at = timezone.now()
    item.resolved_by = None
    item.resolved_by_system = True
    item.save(update_fields=["status", "resolved_at", "resolved_by", "resolved_by_system"])
    return item.status


def possible_opt_outs_apply_overdue(*, now: datetime | None = None) -> DeadlineSweep:
    """Apply every possible opt-out still open after its revocation deadline as the contact's
    opt-out (phone_opt_out_by_contact_at_deadline), and mark it decided by the system.

    One transaction per item, so one failing item (logged, left open for the next sweep) does
    not hold back the rest. Safe with several sweeps at once: each item is taken with
    `FOR UPDATE SKIP LOCKED` and applied once; an item an agent is deciding at that moment is
    skipped and stays the agent's. A start word received from the number after the flagged
    text is the contact's last word: the item is dismissed by the system, consent unchanged.
    """
    overdue_before = revocation_overdue_before(now=now or timezone.now())
    sweep = DeadlineSweep()
    while True:
        item_id = None
        try:
            with transaction.atomic():
                item = _next_overdue_locked(overdue_before, sweep.failed)
                if item is None:
                    return sweep
                item_id = item.pk
                decided = _decide_at_deadline(item)
        except Exception:
            if item_id is None:
                raise  # the database itself failed: nothing to skip
            logger.exception("Possible opt-out %s: not applied at its deadline", item_id)
            sweep.failed.append(item_id)
            continue
        if decided == PossibleOptOutStatus.OPTED_OUT:
            sweep.applied.append(item_id)
        else:
            sweep.superseded.append(item_id)
