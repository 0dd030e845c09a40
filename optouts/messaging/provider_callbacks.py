"""What the provider tells us: inbound SMS (what the contact's words mean for consent) and status
callbacks.

Called by the webhooks (optouts.messaging.webhooks), which have checked the request's signature
and shape and cleaned its text; re-exported by optouts.messaging.services.

An inbound text is read by optouts.messaging.intent: a keyword (stop, start, help), a clear
revocation or re-consent in the contact's words, a possible revocation for a person (the inbox),
or an ordinary reply; the rule that decided is kept on the inbound row and in the consent
event's details (`rule`, `rule_source`, `matched`), so an auditor can see why.

Order of stops and starts: Twilio's inbound webhooks carry no time, and a webhook that failed is
retried later, so arrival order is not the contact's order. For every text that opts out or in,
the provider's own record is read (`BaseBackend.message_fetch`: with the twilio backend, the
Message resource's date_created, sender and direction) and kept on the inbound row; an opt-in is
applied only if the provider has that inbound message from that number and no opt-out from the
number was created at the same second or later. An opt-out is always applied.
docs/decisions.md says why.

The answer (a confirmation or the help text) goes back in the webhook's own response and is
stored as an OutboundMessage (status replied) tied to the text it answers, so it is evidence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from optouts.lead_directory import lead_ref
from optouts.messaging.backends import ProviderMessageNotFound, backend_get
from optouts.messaging.carrier_codes import carrier_code_reason
from optouts.messaging.inbox import possible_opt_out_open, possible_opt_outs_close_for_start
from optouts.messaging.intent import POSSIBLE, InboundIntent, inbound_intent_read
from optouts.messaging.keyword_lists import keyword_reply_template, keyword_words_added
from optouts.messaging.keywords import HELP, START, STOP
from optouts.messaging.models import (
    InboundAction,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    StatusCallbackEvent,
)
from optouts.messaging.reachability import (
    phone_unreachable_failure_record,
    phone_unreachable_lift,
    unreachable_code,
)
from optouts.messaging.replies import (
    consent_reply,
    help_reply_text,
    provider_answers,
    reply_record,
)
from optouts.models import Channel, ConsentEvent
from optouts.services import (
    ConsentResult,
    phone_numbers_lock,
    phone_opt_in_by_contact,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
)
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

logger = logging.getLogger(__name__)


# --- Inbound texts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundResult:
    inbound: InboundMessage
    reply: str  # the text to answer with, "" for none
    duplicate: bool = False


@dataclass(frozen=True)
class _ProviderView:
    """What the provider said about an inbound message: `known` is True (it has the message,
    from `from_number`, created at `created_at`), False (it has no such inbound message), or
    None (not asked, or could not answer)."""

    known: bool | None
    created_at: datetime | None = None
    from_number: str = ""


_NOT_ASKED = _ProviderView(known=None)
# Why an opt-in was not applied (InboundMessage.outcome).
LATER_STOP = "later_stop"
NOT_AT_PROVIDER = "not_at_provider"
# Inbound actions that took the number off the list (an opt-in is checked against them).
_OPT_OUT_ACTIONS = (InboundAction.STOP, InboundAction.REVOCATION)


def _provider_view(message_sid: str) -> _ProviderView:
    """Ask the backend for the provider's record of an inbound message (a network call with the
    twilio backend: made outside any transaction)."""
    try:
        found = backend_get().message_fetch(message_sid)
    except ProviderMessageNotFound:
        return _ProviderView(known=False)
    if found is None:
        return _NOT_ASKED
    if found.direction != "inbound":
        return _ProviderView(known=False)
    return _ProviderView(known=True, created_at=found.created_at, from_number=found.from_number)


def inbound_message_receive(
    *, message_sid: str, from_number: str, to_number: str = "", body: str = "", opt_out_type=""
) -> InboundResult:
    """Log an inbound SMS once per MessageSid and act on what it means (optouts.messaging.intent).

    A stop keyword, or a text that begins with one: opt out (source contact, channel keyword).
    A clear revocation in words ("leave me alone", "número equivocado"): opt out (source contact,
    channel sms). Both always, with the rule in the event's details. A start keyword or a clear
    re-consent in words: opt in as the contact, unless the provider's record contradicts it (see
    `_start_refusal`). A help word: the help text. A possible revocation (or a refusal, a
    deferral, a lost lead): an inbox item for a person to decide. The confirmation goes only
    with an opt-out or opt-in that changed the list, so one revocation gets one confirmation;
    each answer is stored as an OutboundMessage replying to the text. A MessageSid seen before
    does nothing and answers nothing (`duplicate`).

    Values are stored cut to their fields; the webhook has already made control characters
    spaces, so every message is recorded, however odd its parts.
    """
    existing = InboundMessage.objects.filter(message_sid=message_sid).first()
    if existing is not None:
        return InboundResult(existing, "", duplicate=True)
    intent = inbound_intent_read(
        body=body or "", opt_out_type=opt_out_type or "", added_words=keyword_words_added()
    )
    # The provider's creation time orders opt-outs and opt-ins (its webhooks carry none); asked
    # only for those, before the transaction, since it may be a network call.
    asked = intent.opts_out or intent.opts_in
    provider = _provider_view(message_sid) if asked else _NOT_ASKED
    try:
        with transaction.atomic():
            return _inbound_process(
                message_sid, from_number, to_number, body, opt_out_type, intent, provider
            )
    except IntegrityError:
        # The unique MessageSid: a concurrent delivery of the same message won.
        existing = InboundMessage.objects.filter(message_sid=message_sid).first()
        if existing is None:
            raise
        return InboundResult(existing, "", duplicate=True)


def _start_refusal(number: str, provider: _ProviderView) -> str:
    """Why an opt-in from `number` must not be applied, or "" to apply it.

    The provider has no such inbound message from this number: NOT_AT_PROVIDER. The provider
    created an opt-out (a stop word or a revocation in words) from this number at the same
    second or later: LATER_STOP (a late delivery of an older START never undoes a newer STOP; a
    tie keeps the number out). When the provider cannot say, or an opt-out's time is unknown,
    the order of arrival decides. Call with the number's lock held, so a concurrent opt-out is
    either seen or applied after.
    """
    if provider.known is False:
        return NOT_AT_PROVIDER
    if provider.known and provider.from_number and provider.from_number != number:
        return NOT_AT_PROVIDER
    if provider.created_at is not None:
        later_stop = InboundMessage.objects.filter(
            phone_number=number,
            action__in=_OPT_OUT_ACTIONS,
            provider_created_at__gte=provider.created_at,
        )
        if later_stop.exists():
            return LATER_STOP
    return ""


def _inbound_process(
    message_sid, from_number, to_number, body, opt_out_type, intent: InboundIntent, provider
) -> InboundResult:
    now = timezone.now()
    body = body or ""
    inbound = InboundMessage.objects.create(
        message_sid=message_sid[:64],
        from_raw=(from_number or "")[:40],
        to_number=(to_number or "")[:40],
        body=body,
        opt_out_type=(opt_out_type or "")[:20],
        action=InboundAction.NONE,
        received_at=now,
        provider_created_at=provider.created_at,
        rule=intent.rule[:60],
        matched=intent.matched[:200],
    )
    try:
        number = phone_normalize(from_number)
    except InvalidPhoneNumber:
        inbound.action = InboundAction.INVALID_SENDER
        inbound.save(update_fields=["action"])
        return InboundResult(inbound, "")
    inbound.phone_number = number
    # A text from the number proves the carrier can reach it.
    phone_unreachable_lift(number=number, why="inbound", details={"message_sid": message_sid})
    details = {"text": body, "message_sid": message_sid, **intent.details()}
    if opt_out_type:
        details["opt_out_type"] = opt_out_type
    reply = ""
    result: ConsentResult | None = None
    if intent.opts_out:
        keyword = intent.kind == STOP
        inbound.action = InboundAction.STOP if keyword else InboundAction.REVOCATION
        if intent.leading_stop_word:
            details["leading_stop_word"] = intent.leading_stop_word
        result = phone_opt_out_by_contact(
            number=number, details=details, channel=Channel.KEYWORD if keyword else Channel.SMS
        )
        reply = consent_reply(keyword_reply_template(kind=STOP), intent, result)
    elif intent.opts_in:
        phone_numbers_lock(numbers=[number])
        refusal = _start_refusal(number, provider)
        if refusal:
            logger.warning("SMS %s: opt-in from %s ignored (%s)", message_sid, number, refusal)
            inbound.action = InboundAction.START_IGNORED
            inbound.outcome = refusal
            inbound.save(update_fields=["phone_number", "action", "outcome"])
            return InboundResult(inbound, "")
        inbound.action = InboundAction.START
        result = phone_opt_in_by_contact(number=number, details=details)
        # The contact's newest word: texts waiting for review before it no longer hold sends.
        possible_opt_outs_close_for_start(number=number)
        reply = consent_reply(keyword_reply_template(kind=START), intent, result)
    elif intent.kind == HELP:
        inbound.action = InboundAction.HELP
        if not provider_answers(intent):
            reply = help_reply_text(keyword_reply_template(kind=HELP))
    elif intent.kind == POSSIBLE:
        inbound.action = InboundAction.POSSIBLE_OPT_OUT
        possible_opt_out_open(
            inbound=inbound,
            number=number,
            matched=intent.matched or intent.rule,
            details=intent.details(),
        )
    inbound.outcome = result.outcome if result else ""
    inbound.save(update_fields=["phone_number", "action", "outcome"])
    if reply:
        reply_record(inbound, reply, now)
    return InboundResult(inbound, reply)


# --- Status callbacks -------------------------------------------------------------------------

_DELIVERED = {"delivered", "read"}
_FAILED = {"failed", "undelivered", "canceled"}
_FINAL = {MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.BLOCKED}


def _status_from_provider(provider_status: str) -> str:
    if provider_status in _DELIVERED:
        return MessageStatus.DELIVERED
    if provider_status in _FAILED:
        return MessageStatus.FAILED
    return MessageStatus.SENT


def _latest_opt_in_at(number: str) -> datetime | None:
    return (
        ConsentEvent.objects.filter(phone_number=number, action=ConsentEvent.Action.OPT_IN)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _callback_seen(message_sid: str, provider_status: str, error_code: str) -> bool:
    return StatusCallbackEvent.objects.filter(
        message_sid=message_sid[:64], provider_status=provider_status, error_code=error_code
    ).exists()


def message_status_record(
    *, message_sid: str, provider_status: str, to_number: str = "", error_code: str = ""
) -> StatusCallbackEvent:
    """Apply a provider status callback to the message this system sent with that id.

    Updates the message; then, by the error code: one of SMS_SYSTEM_OPT_OUT_ERROR_CODES puts its
    number (the one it was sent to, not the callback's To) on the list (source system, channel
    carrier) with the code's reason (optouts.messaging.carrier_codes); one of
    SMS_UNREACHABLE_ERROR_CODES counts a failure to reach it (optouts.messaging.reachability:
    enough of them hold texts, off the list). A delivered message lifts an unreachable hold.

    Providers retry and reorder callbacks, so each is applied once and only while it is news:
    the same id, status and code again does nothing (action "duplicate"), and a callback for a
    message that left before the number's latest opt-in (an admin's or the contact's START)
    never re-blocks it (action "stale"). A callback for an id this system never sent changes
    nothing ("unknown_message"): an opt-out must follow from a message we sent, never from a
    number someone names. Every callback is logged, its values cut to their fields.
    """
    provider_status = (provider_status or "").strip().lower()[:20]
    error_code = (error_code or "").strip()[:10]
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(provider_id=message_sid)
            .exclude(provider_id="")
            .first()
        )
        action, outcome = "recorded", ""
        if message is None:
            action = "unknown_message"
        elif _callback_seen(message_sid, provider_status, error_code):
            # Under the message's row lock: two deliveries of one callback cannot both pass.
            action = "duplicate"
        else:
            action, outcome = _status_apply(message, message_sid, provider_status, error_code, now)
        return StatusCallbackEvent.objects.create(
            message=message,
            message_sid=message_sid[:64],
            to_number=(to_number or "")[:40],
            provider_status=provider_status,
            error_code=error_code,
            action=action,
            outcome=outcome,
            received_at=now,
        )


def _status_apply(message, message_sid, provider_status, error_code, now) -> tuple[str, str]:
    if message.status not in _FINAL:
        message.status = _status_from_provider(provider_status)
        message.provider_status = provider_status
        if error_code:
            message.error_code = error_code
        message.status_changed_at = now
        message.save(update_fields=["status", "provider_status", "error_code", "status_changed_at"])
    number = message.to_number
    left_at = message.sent_at or message.created_at
    consent_code = error_code and error_code in settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES
    if consent_code or unreachable_code(error_code=error_code):
        opted_in_at = _latest_opt_in_at(number)
        if opted_in_at is not None and left_at < opted_in_at:
            return "stale", ""
    if consent_code:
        result = phone_opt_out_by_carrier(
            number=number,
            lead=lead_ref(message.lead_id, label=message.lead_label),
            details={
                "error_code": error_code,
                "message_sid": message_sid,
                "provider_status": provider_status,
            },
            reason=carrier_code_reason(error_code=error_code),
        )
        return "system_opt_out", result.outcome
    if unreachable_code(error_code=error_code):
        action = phone_unreachable_failure_record(
            message=message, error_code=error_code, message_sid=message_sid, at=now
        )
        return action, ""
    if provider_status in _DELIVERED and phone_unreachable_lift(
        number=number, why="delivered", details={"message_sid": message_sid}
    ):
        return "recorded", "reachable"
    return "recorded", ""
