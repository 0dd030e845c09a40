"""Reading an inbound SMS for its keywords: is it a stop, start or help keyword?

The default word lists are those of the FCC's 2024 revocation rule (47 C.F.R. § 64.1200(a)(10):
stop, quit, end, revoke, opt out, cancel, unsubscribe), the CTIA Messaging Principles' and
carriers' usual ones (STOP ALL, REMOVE, UNSTOP), Spanish ALTO and AYUDA, and French ARRET (Canadian
numbers share +1; ARRÊT reads as ARRET once accents are dropped), French AIDE for help. YES is
not a start word: in a lender's conversation it answers questions ("Still interested?"), and a
late "Yes" must never undo a STOP. Settings SMS_STOP_KEYWORDS / SMS_START_KEYWORDS /
SMS_HELP_KEYWORDS add to them, never replace, and so do the words admins add in the admin
(optouts/messaging/keyword_lists.py; the reader is handed them as AddedWords).

A body that is not a keyword on its own but BEGINS with one of LEADING_STOP_WORDS ("Stop. Thank
you", "STOP texting me") is a stop: the FCC rule counts any reasonable means of revoking, and a
message that opens with the word leaves no doubt. Only unambiguous words open such a message:
CANCEL, END, QUIT and REMOVE alone open too many ordinary sentences ("Cancel my 3 pm call", "End of
month works"), and "STOP BY" / "STOP IN" / "STOP OVER" are visits ("ARRÊT MALADIE" is sick
leave). Every other text is read by optouts.messaging.intent (the phrase table), which also
limits a leading stop word ("Stop the wire!" is about the wire; "STOP texting so early" asks
for other hours).
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
    "STOP ALL",
    "REMOVE",
    "ALTO",
    "ARRET",
)
DEFAULT_START_WORDS = ("START", "UNSTOP")
DEFAULT_HELP_WORDS = ("HELP", "INFO", "AYUDA", "AIDE")

# The words (normalised) that make a body a stop when it begins with them. Not extended by the
# settings: a word added there for exact matches is not thereby safe to open a sentence with.
LEADING_STOP_WORDS = (
    "STOP",
    "STOPALL",
    "STOP ALL",
    "UNSUBSCRIBE",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",  # also OPT-OUT, once normalised
    "REMOVE ME",
    "ALTO",
    "ARRET",  # also ARRÊT
)
# Openings where STOP means a visit, not a revocation ("Stop by the branch at 3?").
LEADING_STOP_EXCEPTIONS = (
    "STOP BY",
    "STOP IN",
    "STOP OVER",
    "ARRET MALADIE",
    "ARRET DE TRAVAIL",
)

STOP, START, HELP = "stop", "start", "help"

_NOT_WORD = re.compile(r"[^0-9A-Z]+")


def keyword_normalize(text: str) -> str:
    """Upper case, accents dropped, punctuation to spaces, runs of spaces to one, trimmed.

    "  Opt-Out! " -> "OPT OUT"; "stop." -> "STOP"; "Ayúda" -> "AYUDA".
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", ascii_only.upper()).strip()


@dataclass(frozen=True)
class AddedWords:
    """The words admins added, by kind, normalised (optouts.messaging.keyword_lists)."""

    stop: frozenset[str] = frozenset()
    start: frozenset[str] = frozenset()
    help: frozenset[str] = frozenset()


NO_ADDED_WORDS = AddedWords()


def _words(defaults: tuple[str, ...], *extra: list[str] | frozenset[str]) -> frozenset[str]:
    every = (*defaults, *(word for words in extra for word in words))
    return frozenset(w for w in (keyword_normalize(x) for x in every) if w)


def stop_words(added: AddedWords = NO_ADDED_WORDS) -> frozenset[str]:
    return _words(DEFAULT_STOP_WORDS, settings.SMS_STOP_KEYWORDS, added.stop)


def start_words(added: AddedWords = NO_ADDED_WORDS) -> frozenset[str]:
    return _words(DEFAULT_START_WORDS, settings.SMS_START_KEYWORDS, added.start)


def help_words(added: AddedWords = NO_ADDED_WORDS) -> frozenset[str]:
    return _words(DEFAULT_HELP_WORDS, settings.SMS_HELP_KEYWORDS, added.help)


def fixed_words() -> dict[str, frozenset[str]]:
    """The words no admin can remove, by kind: the defaults and those of the settings."""
    return {STOP: stop_words(), START: start_words(), HELP: help_words()}


# Twilio's Advanced Opt-Out sends OptOutType=STOP|START|HELP once it has classified the message.
_OPT_OUT_TYPES = {"STOP": STOP, "START": START, "HELP": HELP}


@dataclass(frozen=True)
class KeywordMatch:
    """What an inbound body's keywords say: `kind` is stop/start/help, or None.

    `leading_stop_word` is set (with kind stop) when the body is not a keyword on its own but
    begins with one of LEADING_STOP_WORDS ("STOP texting me").
    """

    kind: str | None
    normalized: str
    leading_stop_word: str = ""


def leading_stop_word(normalized: str) -> str:
    """The word of LEADING_STOP_WORDS that `normalized` begins with (the longest), or ""."""
    padded = f"{normalized} "
    if any(padded.startswith(f"{exception} ") for exception in LEADING_STOP_EXCEPTIONS):
        return ""
    # Longest first, so "STOP ALL ..." is reported as STOP ALL rather than STOP.
    for word in sorted(LEADING_STOP_WORDS, key=len, reverse=True):
        if padded.startswith(f"{word} "):
            return word
    return ""


def keyword_match(
    *, body: str, opt_out_type: str = "", added: AddedWords = NO_ADDED_WORDS
) -> KeywordMatch:
    """Classify an inbound SMS body; the provider's OptOutType, when present, decides. `added`:
    the admins' words, read as the defaults are."""
    normalized = keyword_normalize(body)
    provider_kind = _OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())
    if provider_kind:
        return KeywordMatch(provider_kind, normalized)
    if normalized in stop_words(added):
        return KeywordMatch(STOP, normalized)
    if normalized in start_words(added):
        return KeywordMatch(START, normalized)
    if normalized in help_words(added):
        return KeywordMatch(HELP, normalized)
    leading = leading_stop_word(normalized)
    if leading:
        return KeywordMatch(STOP, normalized, leading_stop_word=leading)
    return KeywordMatch(None, normalized)
