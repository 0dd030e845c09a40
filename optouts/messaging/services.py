"""Writes of the SMS channel: the guarded send and the possible-opt-out inbox.

Inbound keywords and status callbacks live in optouts.messaging.provider_callbacks and are
re-exported here, so callers import every messaging service from this module.

The send guard: `message_deliver` checks the opt-out list and hands the message to the provider
inside one transaction that holds `phone_numbers_lock(shared=True)` on the number. Opt-out writers
take that lock exclusively (optouts.services), so an opt-out either committed before the check
(and the check sees it: the send is blocked) or waits until the hand-off is over. No message ever
reaches the provider after an opt-out of its number has committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from optouts.messaging.backends import ProviderError, backend_get
from optouts.messaging.models import (
    MessageStatus,
    OutboundMessage,
    PossibleOptOut,
    PossibleOptOutStatus,
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
    phones_opt_out_by_staff,
)
from velocify_sms.phones import phone_normalize

logger = logging.getLogger(__name__)

MAX_BODY_LENGTH = 1600  # Twilio's limit for one (concatenated) message


class RecipientOptedOut(Exception):
    """The number is on the opt-out list; the message was recorded as blocked, nothing was sent."""

    def __init__(self, message: OutboundMessage) -> None:
        self.message = message
        super().__init__(message.reason)


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
    message.reason = _blocked_reason(message.to_number, source)
    message.status_changed_at = timezone.now()
    message.save(update_fields=["status", "blocked_source", "reason", "status_changed_at"])


def message_send(*, to: str, body: str, lead_id: int | None = None, sender=None) -> OutboundMessage:
    """Record an SMS to `to` (any written form) and send it through the task queue.

    Raises InvalidPhoneNumber or MessageInvalid before recording anything, and RecipientOptedOut
    (after recording the message as blocked) when the number is on the list. With a queue worker
    (TASKS_BACKEND=database or rq) the message is returned `queued` and the worker runs the
    guarded hand-off (`message_deliver`); with the immediate backend it is returned `sent` or
    `failed`. Call it outside a transaction: the worker must see the committed message.
    `lead_id` is the lead the message is about, if any: the form or serializer has checked that
    it exists (optouts.lead_directory.lead_exists).
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
    # An early answer for the caller; the check that guarantees the rule is in message_deliver.
    source = phones_opted_out(numbers=[number]).get(number)
    if source:
        _mark_blocked(message, source)
        raise RecipientOptedOut(message)
    result = message_deliver_task.enqueue(message_id=message.pk)
    if result.errors:
        logger.error("SMS %s: delivery task failed: %s", message.pk, result.errors[-1].traceback)
    message.refresh_from_db()
    if message.status == MessageStatus.BLOCKED:
        raise RecipientOptedOut(message)
    return message


def message_deliver(*, message_id: int) -> OutboundMessage:
    """The send guard and hand-off of one queued message (run by the task queue).

    Idempotent: a message that is no longer `queued` is returned untouched, so a retried task
    never sends twice. A provider error whose code is in SMS_SYSTEM_OPT_OUT_ERROR_CODES (21610:
    the recipient replied STOP to the provider) puts the number on the list with source system.
    """
    carrier_code = ""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.QUEUED:
            return message
        number = message.to_number
        phone_numbers_lock(numbers=[number], shared=True)
        # A fresh snapshot after the lock: every opt-out committed before now is visible.
        source = phones_opted_out(numbers=[number]).get(number)
        if source:
            _mark_blocked(message, source)
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
