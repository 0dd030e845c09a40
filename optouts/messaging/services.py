"""Writes of the SMS channel: the guarded send.

The possible-opt-out inbox and its deadline live in optouts.messaging.inbox, inbound keywords and
status callbacks in optouts.messaging.provider_callbacks; both are re-exported here, so callers
import every messaging service from this module.

The send guard: `message_deliver` checks the opt-out list and hands the message to the provider
inside one transaction that holds `phone_numbers_lock(shared=True)` on the number. Opt-out writers
take that lock exclusively (optouts.services), so an opt-out either committed before the check
(and the check sees it: the send is blocked) or waits until the hand-off is over. No message ever
reaches the provider after an opt-out of its number has committed. The send policy (quiet hours
and frequency caps, optouts.messaging.policy) is checked in the same transaction, after the list.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from optouts.lead_directory import lead_location, lead_ref
from optouts.messaging.backends import ProviderError, backend_get
from optouts.messaging.inbox import (  # noqa: F401 - re-exported
    DeadlineSweep,
    PossibleOptOutResolved,
    possible_opt_out_confirm,
    possible_opt_out_dismiss,
    possible_opt_outs_apply_overdue,
)
from optouts.messaging.models import (
    MessageStatus,
    OutboundMessage,
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
from optouts.messaging.reachability import phone_unreachable_failure_record, unreachable_code
from optouts.messaging.selectors import SendBlock, phones_send_blocks
from optouts.models import Source
from optouts.selectors import optout_row
from optouts.services import phone_numbers_lock, phone_opt_out_by_carrier
from velocify_sms.dates import datetime_display
from velocify_sms.phones import phone_display, phone_normalize

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


def _refusal(message: OutboundMessage) -> SendRefused:
    if message.reason_code == ReasonCode.RECIPIENT_OPTED_OUT:
        return RecipientOptedOut(message)
    return SendRefused(message)


class MessageInvalid(ValueError):
    """The message cannot be sent as asked (empty or too long body); nothing was recorded."""


def _blocked_reason(number: str, source: str) -> str:
    label = Source(source).label.lower()
    shown = phone_display(number)
    return f"{shown} is on the opt-out list (source: {label}); no SMS may be sent to it."


def _mark_blocked(message: OutboundMessage, block: SendBlock) -> None:
    message.status = MessageStatus.BLOCKED
    message.blocked_source = block.source
    message.reason_code = block.code
    if block.code == ReasonCode.RECIPIENT_OPTED_OUT:
        message.reason = _blocked_reason(message.to_number, block.source)
    else:
        message.reason = block.reason
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
    lead = lead_ref(lead_id)
    lead_label = lead.label if lead is not None else ""
    now = timezone.now()
    message = OutboundMessage.objects.create(
        to_number=number,
        body=body,
        lead_id=lead_id,
        lead_label=lead_label,
        sender=sender,
        status=MessageStatus.QUEUED,
        backend=settings.SMS_BACKEND,
        created_at=now,
        status_changed_at=now,
    )
    # Early answers for the caller; the checks that guarantee the rules are in message_deliver.
    block = phones_send_blocks(numbers=[number]).get(number)
    if block is not None:
        _mark_blocked(message, block)
        raise _refusal(message)
    if _policy_stop(message, lead_id=lead_id, now=now):
        if message.status == MessageStatus.HELD:
            return message
        raise SendRefused(message)
    result = message_deliver_task.enqueue(message_id=message.pk)
    if result.errors:
        logger.error("SMS %s: delivery task failed: %s", message.pk, result.errors[-1].traceback)
    message.refresh_from_db()
    if message.status == MessageStatus.BLOCKED:
        raise _refusal(message)
    if message.status == MessageStatus.REFUSED:
        raise SendRefused(message)
    return message


def message_deliver(*, message_id: int) -> OutboundMessage:
    """The send guard and hand-off of one queued or held message (run by the task queue).

    1. Reserve, under the number's lock, in one transaction: the opt-out list, a pending
       revocation, an unreachable hold, then the send policy (quiet hours, the frequency cap
       counted under the lock); a message that passes is marked `sending` (it counts toward the
       cap from then on) and the transaction commits, releasing the lock.
    2. Re-check the list, the pending revocations and the holds just before the call.
    3. Call the provider outside any transaction and lock: a slow provider holds no database
       connection in a transaction and makes no opt-out of the number wait.
    4. Record the outcome. An opt-out of the number that committed between the reservation and
       now is recorded on the message (its reason says so, with the opt-out's time and source):
       the message may have reached the contact, and nothing after it will.

    A held message whose time has come goes through all of it again. Idempotent: a message that
    is no longer queued or held is returned untouched, so a retried task never sends twice (a
    process that dies mid hand-off leaves its message `sending`, never sent twice). A provider
    error whose code is in SMS_SYSTEM_OPT_OUT_ERROR_CODES (21610: the recipient replied STOP to
    the provider) puts the number on the list with source system; an unreachable code counts
    toward a hold (optouts.messaging.reachability).
    """
    message = _reserve(message_id)
    if message.status != MessageStatus.SENDING:
        return message
    number = message.to_number
    block = phones_send_blocks(numbers=[number]).get(number)
    if block is not None:
        with transaction.atomic():
            message = OutboundMessage.objects.select_for_update().get(pk=message_id)
            if message.status == MessageStatus.SENDING:
                _mark_blocked(message, block)
        return message
    backend = backend_get(message.backend or None)
    carrier_code = error_code = detail = ""
    try:
        receipt = backend.send(message)
    except ProviderError as exc:
        receipt = None
        error_code, detail = exc.code, exc.detail
        if exc.code and (
            exc.code in settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES
            or unreachable_code(error_code=exc.code)
        ):
            carrier_code = exc.code
    message = _record_outcome(
        message_id,
        receipt,
        error_code if receipt is None else "",
        detail if receipt is None else "",
    )
    if carrier_code and unreachable_code(error_code=carrier_code):
        with transaction.atomic():
            phone_unreachable_failure_record(
                message=message, error_code=carrier_code, message_sid="", at=timezone.now()
            )
    elif carrier_code:
        phone_opt_out_by_carrier(
            number=number,
            lead=lead_ref(message.lead_id, label=message.lead_label),
            details={"error_code": carrier_code, "message_id": message.pk, "on": "send"},
        )
    return message


def _reserve(message_id: int) -> OutboundMessage:
    """Step 1 of message_deliver: the guard under the number's lock; `sending` if it passed."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status not in (MessageStatus.QUEUED, MessageStatus.HELD):
            return message
        number = message.to_number
        rules = send_rules_for(number=number, location=lead_location(message.lead_id))
        # Shared: sends to one number run side by side, and an opt-out (exclusive) waits for
        # them or they for it. Exclusive when a cap applies: two sends to a capped number must
        # not both count the messages before either has reserved, or both take the last slot.
        phone_numbers_lock(numbers=[number], shared=rules.daily_cap is None)
        # A fresh snapshot after the lock: every opt-out, every revocation waiting for review
        # (opened under the same lock), every unreachable hold and every reservation committed
        # before now is visible.
        block = phones_send_blocks(numbers=[number]).get(number)
        if block is not None:
            _mark_blocked(message, block)
            return message
        decision = send_policy_decide(number=number, rules=rules, now=timezone.now())
        if not decision.allowed:
            _apply_policy(message, decision)
            if message.status == MessageStatus.HELD:
                # Still (or again) outside the window: wait for the next opening. With the
                # database backend the new task commits with this transaction.
                _enqueue_held(message)
            return message
        now = timezone.now()
        message.status = MessageStatus.SENDING
        message.sent_at = now
        message.reason_code = ""
        message.held_until = None
        message.status_changed_at = now
        message.save(
            update_fields=["status", "sent_at", "reason_code", "held_until", "status_changed_at"]
        )
    return message


def _record_outcome(message_id: int, receipt, error_code: str, detail: str) -> OutboundMessage:
    """Step 4 of message_deliver: what the provider said, and an opt-out that came meanwhile."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if receipt is None:
            message.status = MessageStatus.FAILED
            message.error_code = error_code
            message.reason = detail
        else:
            message.status = MessageStatus.SENT
            message.provider_id = receipt.provider_id
            message.provider_status = receipt.provider_status
            row = optout_row(number=message.to_number)
            if row is not None and row.opted_out_at >= message.sent_at:
                message.reason = _opted_out_while_sending(row)
        message.status_changed_at = timezone.now()
        message.save()
    return message


def _opted_out_while_sending(row) -> str:
    label = Source(row.source).label.lower()
    return (
        f"Opted out (source: {label}) at {datetime_display(row.opted_out_at)}, while this message "
        "was being handed to the provider: it may have reached the contact; nothing after it will."
    )
