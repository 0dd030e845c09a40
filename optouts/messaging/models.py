"""Message models, registered under the app label optouts by OptoutsConfig.import_models (the
consent core's models module never imports the SMS channel).

The logs here are written by optouts.messaging.services only; the admin shows them read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from velocify_sms.phones import phone_display


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    # Outside the recipient's allowed hours: the task worker sends it at `held_until`.
    HELD = "held", "Held (quiet hours)"
    # Reserved under the number's lock and being handed to the provider outside it.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # Not sent for consent or reachability: on the list, a pending revocation, an unreachable
    # hold (reason_code says which).
    BLOCKED = "blocked", "Blocked (opted out)"
    # The send policy refused it (reason_code says which rule); nothing was sent.
    REFUSED = "refused", "Refused (send policy)"
    # A keyword confirmation or help text answered in the inbound webhook's own response (TwiML),
    # not handed to the provider's send API: `in_reply_to` is the text it answers. Not counted
    # by the frequency cap (a required answer, not a message someone chose to send).
    REPLIED = "replied", "Replied (webhook answer)"


class ReasonCode(models.TextChoices):
    """Why a message was not sent (or not yet): the API's 409 code, the form's and the log's."""

    RECIPIENT_OPTED_OUT = "recipient_opted_out", "Recipient opted out"
    # The contact wrote something that may revoke consent; a person has not decided yet.
    REVOCATION_PENDING = "revocation_pending", "Possible revocation waiting for review"
    # The carrier failed to reach the number too often (not an opt-out: docs/rules.md).
    UNREACHABLE = "unreachable", "Number unreachable"
    QUIET_HOURS = "quiet_hours", "Outside allowed hours"
    FREQUENCY_CAP = "frequency_cap", "Frequency cap reached"


class OutboundMessage(models.Model):
    """One SMS someone asked to send, and what became of it."""

    Status = MessageStatus

    to_number = models.CharField("to", max_length=16)
    body = models.TextField()
    # The lead it is about: its id and how it was named when the message was recorded, no
    # foreign key (optouts never points into the leads app; docs/decisions.md). The lead page
    # lists a lead's messages by this id, hence the index.
    lead_id = models.BigIntegerField("lead id", null=True, blank=True, db_index=True)
    lead_label = models.TextField("lead", blank=True, default="", db_default="")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    backend = models.CharField(max_length=100, blank=True)
    provider_id = models.CharField("provider message id", max_length=64, blank=True)
    provider_status = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=10, blank=True)
    # Why it failed, was blocked, refused or held, in a sentence; and as a code when blocked,
    # refused or held.
    reason = models.TextField(blank=True)
    # db_default: a process still on the previous release (during a deploy) writes no reason_code.
    reason_code = models.CharField(
        max_length=20, choices=ReasonCode.choices, blank=True, default="", db_default=""
    )
    # When a held message may go (the next allowed minute at the recipient).
    held_until = models.DateTimeField(null=True, blank=True)
    # The opt-out source that blocked it (empty unless blocked).
    blocked_source = models.CharField(max_length=10, blank=True)
    # For a reply (status replied): the inbound text it answers. PROTECT: the pair is evidence.
    in_reply_to = models.ForeignKey(
        "InboundMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replies",
    )
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound SMS"
        # "3 outbound SMS" under the list; the menu says "Outbound SMS" (it is the log of them).
        verbose_name_plural = "outbound SMS"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="sms_message_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason_code__in=["", *ReasonCode.values]),
                name="sms_message_reason_code_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["provider_id"], name="sms_message_provider_id_idx"),
            models.Index(fields=["to_number", "created_at"], name="sms_message_to_idx"),
        ]
        permissions = [("send_sms", "Can send an SMS")]

    def __str__(self) -> str:
        return f"SMS to {phone_display(self.to_number)} ({self.get_status_display()})"


class OutboxEntry(models.Model):
    """What the local backend 'sent': the hand-off, readable in the admin and in tests."""

    message = models.OneToOneField(OutboundMessage, on_delete=models.CASCADE, related_name="+")
    to_number = models.CharField(max_length=16)
    body = models.TextField()
    handed_off_at = models.DateTimeField()

    class Meta:
        ordering = ["-handed_off_at", "-id"]
        verbose_name = "local outbox entry"
        verbose_name_plural = "local outbox entries"

    def __str__(self) -> str:
        return f"SMS to {phone_display(self.to_number)} (local outbox)"


class InboundAction(models.TextChoices):
    STOP = "stop", "Stop word: opted out"
    # A clear revocation in the contact's own words ("leave me alone", "número equivocado"):
    # `rule` names the phrase-table rule (optouts/messaging/intent/phrases.py).
    REVOCATION = "revocation", "Revocation in words: opted out"
    # A start word, or a clear re-consent in words ("you can text me again": `rule` says which).
    START = "start", "Start word or consent in words: opted in"
    # A start word the provider order or the provider's own record does not back (the outcome
    # says which): the contact stays opted out.
    START_IGNORED = "start_ignored", "Start word: ignored"
    HELP = "help", "Help word: help text sent"
    POSSIBLE_OPT_OUT = "possible_opt_out", "Possible opt-out: flagged for review"
    NONE = "none", "No keyword"
    INVALID_SENDER = "invalid_sender", "Sender is not a valid phone number"


class InboundMessage(models.Model):
    """Every SMS received on the inbound webhook, once per provider MessageSid."""

    Action = InboundAction

    message_sid = models.CharField(max_length=64, unique=True)
    from_raw = models.CharField("from (as received)", max_length=40)
    phone_number = models.CharField("from", max_length=16, blank=True)
    to_number = models.CharField("to", max_length=40, blank=True)
    body = models.TextField(blank=True)
    opt_out_type = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=InboundAction.choices)
    # The consent outcome of the action (opted_out, already_opted_out, opted_in, ...), if any;
    # for an ignored start word, why: later_stop or not_at_provider.
    outcome = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(db_index=True)
    # When the provider created the message (Twilio's date_created), asked for stop and start
    # words only; null when the backend cannot say (local) or the provider could not be reached.
    provider_created_at = models.DateTimeField(null=True, blank=True)
    # Which rule read the text (optouts/messaging/intent), and the words it matched: why it was
    # acted on, sent to the inbox, or left alone ("ordinary.domain_object": "stop payment").
    rule = models.CharField(max_length=60, blank=True, default="", db_default="")
    matched = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=InboundAction.values), name="sms_inbound_action_valid"
            ),
        ]
        indexes = [models.Index(fields=["phone_number"], name="sms_inbound_number_idx")]

    def __str__(self) -> str:
        return f"SMS from {phone_display(self.phone_number) or self.from_raw}"


class PossibleOptOutStatus(models.TextChoices):
    OPEN = "open", "Open"
    OPTED_OUT = "opted_out", "Opted out"
    DISMISSED = "dismissed", "Dismissed"


class PossibleOptOut(models.Model):
    """An inbound text with a stop word among other words, waiting for a person to decide."""

    Status = PossibleOptOutStatus

    inbound = models.OneToOneField(
        InboundMessage, on_delete=models.CASCADE, related_name="possible_opt_out"
    )
    phone_number = models.CharField(max_length=16)
    matched_word = models.CharField(max_length=40)
    status = models.CharField(
        max_length=10, choices=PossibleOptOutStatus.choices, default=PossibleOptOutStatus.OPEN
    )
    created_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Decided by the deadline sweep, not a person: opted out when the revocation deadline passed,
    # or dismissed because the contact texted a start word after it (optouts.messaging.deadlines).
    # db_default: a process still on the previous release (during a deploy) writes none.
    resolved_by_system = models.BooleanField(default=False, db_default=False)
    # Why an admin dismissed it (required then; kept on the item and on its consent event).
    dismiss_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "possible opt-out"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PossibleOptOutStatus.values),
                name="sms_possible_optout_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(resolved_by_system=False) | Q(resolved_by__isnull=True),
                name="sms_possible_optout_one_decider",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="sms_possible_status_idx")]

    def __str__(self) -> str:
        return f"Possible opt-out from {phone_display(self.phone_number)}"


class UnreachableHold(models.Model):
    """A number the carrier failed to reach too often (SMS_UNREACHABLE_FAILURES failures within
    SMS_UNREACHABLE_DAYS days): no SMS goes to it until it is reachable again.

    Not an opt-out and not on the opt-out list: nothing but an opt-out request puts a number there
    (docs/rules.md). The send guard checks this table beside the list; a text from the number, a
    delivered retry or an admin lifts the hold. One row per number while the hold lasts.
    """

    phone_number = models.CharField(max_length=16, unique=True)
    held_at = models.DateTimeField(db_index=True)
    # From then on the guard lets texts through again as a retry: a delivered one lifts the hold,
    # a failed one puts it back for another SMS_UNREACHABLE_RETRY_DAYS.
    retry_after = models.DateTimeField()
    # The failures that put it on hold, oldest first: [{"message_sid", "error_code", "at"}].
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = "unreachable number"

    def __str__(self) -> str:
        return f"{phone_display(self.phone_number)} (unreachable since {self.held_at:%Y-%m-%d})"


class StatusCallbackEvent(models.Model):
    """Every status callback received, with what it did."""

    message = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_sid = models.CharField(max_length=64)
    to_number = models.CharField(max_length=40, blank=True)
    provider_status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=10, blank=True)
    # "system_opt_out" when the error code put the number on the list, "unreachable" when it
    # counted as a failure to reach the number (and "unreachable_hold" when that stopped texts),
    # "unknown_message" when no message this system sent has that id, "duplicate" for the same
    # id, status and code again, "stale" when the message left before the number's latest
    # opt-in (nothing applied to consent for those three), else "recorded".
    action = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "SMS status callback"
        indexes = [models.Index(fields=["message_sid"], name="sms_status_sid_idx")]

    def __str__(self) -> str:
        return f"{self.message_sid}: {self.provider_status}"


# --- Keywords and replies an admin edits (optouts/messaging/keyword_lists.py) ------------------


class KeywordKind(models.TextChoices):
    STOP = "stop", "Stop (opts the number out)"
    START = "start", "Start (opts the number back in)"
    HELP = "help", "Help"


class SmsKeyword(models.Model):
    """A keyword an admin added beside the defaults of optouts/messaging/keywords.py, which are
    not rows and so cannot be removed. `word` is stored as the reader normalises a text (upper
    case, no accents, single spaces), unique across kinds: a word means one thing."""

    word = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=5, choices=KeywordKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "word"]
        verbose_name = "SMS keyword"

    def __str__(self) -> str:
        return self.word


class SmsKeywordReply(models.Model):
    """The answer to a stop, start or help keyword as an admin wrote it; blank `text` is the
    default (SMS_STOP_REPLY, SMS_START_REPLY, SMS_HELP_REPLY)."""

    kind = models.CharField(max_length=5, choices=KeywordKind.choices, unique=True)
    text = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = "SMS keyword reply"
        verbose_name_plural = "SMS keyword replies"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reply"


class SmsKeywordChange(models.Model):
    """Who changed the keywords or a reply, when, and from what to what. Written only by
    optouts/messaging/keyword_lists.py, never changed or deleted."""

    class Action(models.TextChoices):
        WORD_ADDED = "word_added", "Word added"
        WORD_REMOVED = "word_removed", "Word removed"
        REPLY_CHANGED = "reply_changed", "Reply changed"

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user's name then: the record keeps saying who even if the account goes.
    user_label = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    kind = models.CharField(max_length=5, choices=KeywordKind.choices)
    word = models.CharField(max_length=60, blank=True)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "keyword or reply change"

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.kind}) by {self.user_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A keyword change is a record: it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A keyword change is a record: it is never deleted.")
