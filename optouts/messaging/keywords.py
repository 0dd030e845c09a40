"""Reading an inbound SMS: is it a stop, start or help keyword, or a possible opt-out?

The default word lists are those of the FCC's 2024 revocation rule (plus Spanish ALTO and AYUDA);
settings SMS_STOP_KEYWORDS / SMS_START_KEYWORDS / SMS_HELP_KEYWORDS add to them, never replace.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

DEFAULT_STOP_WORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",
    "OPT-OUT",
    "ALTO",
)
DEFAULT_START_WORDS = ("START", "YES", "UNSTOP")
DEFAULT_HELP_WORDS = ("HELP", "INFO", "AYUDA")

STOP, START, HELP = "stop", "start", "help"

_NOT_WORD = re.compile(r"[^0-9A-Z]+")


def keyword_normalize(text: str) -> str:
    """Upper case, accents dropped, punctuation to spaces, runs of spaces to one, trimmed.

    "  Opt-Out! " -> "OPT OUT"; "stop." -> "STOP"; "Ayúda" -> "AYUDA".
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", ascii_only.upper()).strip()


def _words(defaults: tuple[str, ...], extra: list[str]) -> frozenset[str]:
    return frozenset(w for w in (keyword_normalize(x) for x in (*defaults, *extra)) if w)


def stop_words() -> frozenset[str]:
    return _words(DEFAULT_STOP_WORDS, settings.SMS_STOP_KEYWORDS)


def start_words() -> frozenset[str]:
    return _words(DEFAULT_START_WORDS, settings.SMS_START_KEYWORDS)


def help_words() -> frozenset[str]:
    return _words(DEFAULT_HELP_WORDS, settings.SMS_HELP_KEYWORDS)


# Twilio's Advanced Opt-Out sends OptOutType=STOP|START|HELP once it has classified the message.
_OPT_OUT_TYPES = {"STOP": STOP, "START": START, "HELP": HELP}


@dataclass(frozen=True)
class KeywordMatch:
    """What an inbound body means: `kind` is stop/start/help, or None.

    `possible_stop_word` is set when the body is not a keyword on its own but contains a stop
    word among other words ("please stop texting me"): a person must decide.
    """

    kind: str | None
    normalized: str
    possible_stop_word: str = ""


def keyword_match(*, body: str, opt_out_type: str = "") -> KeywordMatch:
    """Classify an inbound SMS body; the provider's OptOutType, when present, decides."""
    normalized = keyword_normalize(body)
    provider_kind = _OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())
    if provider_kind:
        return KeywordMatch(provider_kind, normalized)
    if normalized in stop_words():
        return KeywordMatch(STOP, normalized)
    if normalized in start_words():
        return KeywordMatch(START, normalized)
    if normalized in help_words():
        return KeywordMatch(HELP, normalized)
    padded = f" {normalized} "
    # Longest first, so "OPT OUT" is reported rather than a shorter word inside the same text.
    for word in sorted(stop_words(), key=len, reverse=True):
        if f" {word} " in padded:
            return KeywordMatch(None, normalized, possible_stop_word=word)
    return KeywordMatch(None, normalized)
