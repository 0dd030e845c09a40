"""What an inbound SMS means for consent: keywords, revocations and re-consent in words, the
possible revocations a person decides, help; and the rule that says so (phrases.py)."""

from optouts.messaging.intent.read import (
    CONSENT_WORDS,
    POSSIBLE,
    REVOCATION,
    InboundIntent,
    inbound_intent_read,
)

__all__ = ["CONSENT_WORDS", "POSSIBLE", "REVOCATION", "InboundIntent", "inbound_intent_read"]
