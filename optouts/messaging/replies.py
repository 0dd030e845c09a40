"""The answers the inbound webhook sends back in its own response (TwiML): the one confirmation of
an opt-out or opt-in, and the help text; each kept as an OutboundMessage replying to its text.

CTIA's Messaging Principles: every confirmation names the sender (SMS_BRAND_NAME); the help text
also gives a help contact (SMS_HELP_CONTACT) and how to stop. The FCC rule allows one
confirmation of a revocation, within five minutes: it goes in this answer or not at all (an item
a person or the deadline sweep decides later gets no text).
"""

from __future__ import annotations

from django.conf import settings

from optouts.messaging.intent import InboundIntent
from optouts.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from optouts.services import ConsentResult, Outcome

# The backend name of a reply: it left in the webhook's answer, not through a backend.
REPLY_BACKEND = "webhook"


def keyword_reply_text(template: str) -> str:
    """A keyword answer with the brand in it: `{brand}` replaced by SMS_BRAND_NAME, else the
    brand put in front (carriers require the sender's name in every confirmation), and
    `{help_contact}` by SMS_HELP_CONTACT."""
    brand = settings.SMS_BRAND_NAME
    template = template.replace("{help_contact}", settings.SMS_HELP_CONTACT)
    if "{brand}" in template:
        return template.replace("{brand}", brand)
    return f"{brand}: {template}" if brand else template


def help_reply_text(template: str) -> str:
    """The help text (CTIA: the sender's name, a help contact, how to stop) from `template`
    (the admins' or SMS_HELP_REPLY), with the help contact added at the end when the template
    does not place it."""
    text = keyword_reply_text(template)
    contact = settings.SMS_HELP_CONTACT
    if contact and "{help_contact}" not in template and contact not in text:
        text = f"{text} Help: {contact}."
    return text


def provider_answers(intent: InboundIntent) -> bool:
    """Whether the provider has answered this text itself: with SMS_PROVIDER_REPLIES_TO_KEYWORDS,
    for a keyword on its own (what Twilio's Advanced Opt-Out recognises), never for words."""
    keyword = intent.rule in ("keyword.stop", "keyword.start", "keyword.help")
    provider = intent.rule == "provider.opt_out_type"
    return settings.SMS_PROVIDER_REPLIES_TO_KEYWORDS and (keyword or provider)


def consent_reply(template: str, intent: InboundIntent, result: ConsentResult) -> str:
    """The confirmation of an opt-out or opt-in, or "" for none: none when it changed nothing
    (already_opted_out / not_opted_out), so a repeated stop never gets a second one, and none
    when the provider has answered."""
    if provider_answers(intent):
        return ""
    if result.outcome not in (Outcome.OPTED_OUT, Outcome.OPTED_IN):
        return ""
    return keyword_reply_text(template)


def reply_record(inbound: InboundMessage, reply: str, now) -> None:
    """Keep the answer as evidence: an outbound message replying to `inbound`."""
    OutboundMessage.objects.create(
        to_number=inbound.phone_number,
        body=reply,
        status=MessageStatus.REPLIED,
        backend=REPLY_BACKEND,
        in_reply_to=inbound,
        created_at=now,
        sent_at=now,
        status_changed_at=now,
    )
