"""Reading an inbound text for intent: a keyword, a clear revocation or re-consent in words, a
possible revocation for a person, help, or an ordinary reply; with the rule that decided.

Order: the provider's own classification (OptOutType), then the keyword lists
(optouts/messaging/keywords.py: a keyword alone, or a text that begins with a stop word), then
the phrase table (optouts/messaging/intent/phrases.py) clause by clause. Between kinds found in
one text, a clear revocation wins, then anything a person should see, then a re-consent, then
help: a text that both asks to stop and says something else is a stop, and a re-consent is only
acted on when nothing in the text pulls the other way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from optouts.messaging.intent.grammar import CONSENT, ORDINARY, QUALIFY, REVIEW, REVOKE, Rule
from optouts.messaging.intent.phrases import HELP_RULES, KEYWORD_SOURCES, RULES
from optouts.messaging.intent.text import ReadableText, text_readable
from optouts.messaging.keywords import HELP, NO_ADDED_WORDS, START, STOP, AddedWords, keyword_match

# What a text means (InboundIntent.kind), besides keywords.py's STOP, START and HELP.
REVOCATION = "revocation"  # a clear revocation in words: opted out at once
CONSENT_WORDS = "consent"  # a clear re-consent in words: opted back in
POSSIBLE = "possible"  # may revoke: a person decides (the possible-opt-out inbox)

_CONSENT_DOUBTS = ("qualify.time", "qualify.frequency")
_DENIAL = re.compile(r"^(?:no|nope|no way|never|nah|hell no|of course not|lol no|god no|nuh uh)\b")
_ECHOED = re.compile(r"^(?:stop|unsubscribe|opt out|optout|cancel|end|quit|remove|stop all)$")


_ECHO_RULE = Rule(
    "ordinary.echo_question", ORDINARY, r"$^", KEYWORD_SOURCES["ordinary.echo_question"]
)
_LEADING_RULE = Rule("keyword.leading_stop", REVOKE, r"$^", KEYWORD_SOURCES["keyword.leading_stop"])


@dataclass(frozen=True)
class InboundIntent:
    """`kind`: STOP / START / HELP (a keyword), REVOCATION / CONSENT_WORDS (in words),
    POSSIBLE, or None (an ordinary reply). `rule` is the id of the rule that decided
    (phrases.RULES_BY_ID or phrases.KEYWORD_SOURCES), `source` why it exists, `matched` the
    words it matched (as read: lower case, no accents); `limits` the revocation a qualifier
    turned into a possible one. `leading_stop_word` as keywords.KeywordMatch has it."""

    kind: str | None
    rule: str = ""
    source: str = ""
    matched: str = ""
    limits: str = ""
    leading_stop_word: str = ""

    @property
    def opts_out(self) -> bool:
        return self.kind in (STOP, REVOCATION)

    @property
    def opts_in(self) -> bool:
        return self.kind in (START, CONSENT_WORDS)

    def details(self) -> dict:
        """What a consent event records of the decision."""
        found = {"rule": self.rule, "rule_source": self.source, "matched": self.matched}
        if self.limits:
            found["limits"] = self.limits
        return found


@dataclass
class _Hit:
    rule: Rule
    matched: str
    span: tuple[int, int]
    clause: int


def _hits(rule: Rule, text: str, clause: int) -> list[_Hit]:
    found = []
    for m in rule.regex.finditer(text):
        span = m.span("span") if "span" in rule.regex.groupindex else m.span()
        found.append(_Hit(rule, text[span[0] : span[1]].strip(), span, clause))
    return found


def _mask(text: str, hits: list[_Hit]) -> str:
    for hit in hits:
        start, end = hit.span
        text = text[:start] + " " + "~" * max(end - start - 2, 1) + " " + text[end:]
    return re.sub(r" +", " ", text)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass
class _Reading:
    ordinary: list[_Hit]
    revoke: list[tuple[_Hit, _Hit | None]]  # (revocation, the qualifier that limits it)
    consent: list[_Hit]
    review: list[_Hit]
    qualifiers: list[_Hit]  # every clause's, whether or not a revocation was there to limit


def _echo_question(readable: ReadableText) -> int | None:
    """The index of a clause that asks a stop word back ('Unsubscribe??') and is answered no
    by the next one ('No way, keep them coming'), or None."""
    clauses = readable.clauses
    for i in range(len(clauses) - 1):
        if readable.question[i] and _ECHOED.match(clauses[i]) and _DENIAL.match(clauses[i + 1]):
            return i
    return None


def _read_clauses(readable: ReadableText) -> _Reading:
    reading = _Reading([], [], [], [], [])
    by_kind: dict[str, list[Rule]] = {}
    for rule in RULES:
        by_kind.setdefault(rule.kind, []).append(rule)
    echo = _echo_question(readable)
    body = " ".join(readable.clauses)
    body_qualifiers = [
        hit
        for rule in by_kind.get(QUALIFY, [])
        if rule.scope == "body"
        for hit in _hits(rule, body, -1)
    ]
    for index, clause in enumerate(readable.clauses):
        if index == echo:
            reading.ordinary.append(_Hit(_ECHO_RULE, clause, (0, 0), index))
            continue
        text = clause
        for rule in by_kind.get(ORDINARY, []):
            hits = _hits(rule, text, index)
            reading.ordinary += hits
            text = _mask(text, hits)
        qualifiers = [
            hit
            for rule in by_kind.get(QUALIFY, [])
            if rule.scope == "clause"
            for hit in _hits(rule, text, index)
        ]
        reading.qualifiers += qualifiers
        for rule in by_kind.get(REVOKE, []):
            for hit in _hits(rule, text, index):
                limit = next((q for q in qualifiers if not _overlap(q.span, hit.span)), None)
                reading.revoke.append((hit, limit or next(iter(body_qualifiers), None)))
        for rule in by_kind.get(CONSENT, []):
            hits = _hits(rule, text, index)
            reading.consent += hits
            text = _mask(text, hits)
        for rule in by_kind.get(REVIEW, []):
            if rule.scope == "clause":
                reading.review += _hits(rule, text, index)
    for rule in by_kind.get(REVIEW, []):
        if rule.scope == "body":
            reading.review += _hits(rule, body, -1)
    return reading


def _intent(kind: str | None, hit: _Hit, *, limits: _Hit | None = None) -> InboundIntent:
    if limits is None:
        return InboundIntent(kind, hit.rule.id, hit.rule.source, hit.matched)
    # A qualifier decided: the words it limits come first ("stop texting / so early").
    matched = f"{limits.matched} / {hit.matched}"
    return InboundIntent(kind, hit.rule.id, hit.rule.source, matched, limits=limits.rule.id)


def _keyword(kind: str, rule: str, matched: str, leading: str = "") -> InboundIntent:
    return InboundIntent(kind, rule, KEYWORD_SOURCES[rule], matched, leading_stop_word=leading)


def _help(readable: ReadableText) -> InboundIntent | None:
    if not readable.clauses:
        return None
    for rule in HELP_RULES:
        hits = _hits(rule, readable.clauses[0], 0)
        if hits:
            return _intent(HELP, hits[0])
    return None


def _leading_stop(reading: _Reading, word: str) -> InboundIntent | None:
    """A text that begins with a stop word is a stop, unless the stop word is asked back and
    denied, or is about something else ('Stop the wire!': None, the table reads the text), or
    a qualifier in its first clause or anywhere in the text limits it."""
    for hit in reading.ordinary:
        if hit.clause == 0 and hit.span[0] == 0:
            return None  # the table reads it (and keeps the rule that set the word aside)
    first = next((pair for pair in reading.revoke if pair[0].clause == 0), None)
    if first is not None and first[1] is not None:
        return _intent(POSSIBLE, first[1], limits=first[0])
    for hit in reading.review:
        if hit.rule.id == "review.texts_limited":
            stop = _Hit(_LEADING_RULE, word.lower(), (0, 0), 0)
            return _intent(POSSIBLE, hit, limits=stop)
    return _keyword(STOP, "keyword.leading_stop", word, leading=word)


def inbound_intent_read(
    *, body: str, opt_out_type: str = "", added_words: AddedWords = NO_ADDED_WORDS
) -> InboundIntent:
    """What an inbound SMS body means for consent, and which rule says so (module docstring).

    `added_words`: the keywords admins added (keyword_lists.keyword_words_added(), which the
    webhook's handling passes); a text that is one of them is that keyword, as for a default.
    Left out, the reader knows only the defaults and settings (it reads no database)."""
    match = keyword_match(body=body or "", opt_out_type=opt_out_type or "", added=added_words)
    provider = (opt_out_type or "").strip().upper()
    if provider in ("STOP", "START", "HELP"):
        return _keyword(match.kind, "provider.opt_out_type", provider.lower())
    if match.kind and not match.leading_stop_word:
        rule = {STOP: "keyword.stop", START: "keyword.start", HELP: "keyword.help"}[match.kind]
        return _keyword(match.kind, rule, match.normalized.lower())
    readable = text_readable(body or "")
    reading = _read_clauses(readable)
    if match.leading_stop_word:
        leading = _leading_stop(reading, match.leading_stop_word)
        if leading is not None:
            return leading
    clear = [hit for hit, limit in reading.revoke if limit is None]
    if clear:
        return _intent(REVOCATION, clear[0])
    limited = [(hit, limit) for hit, limit in reading.revoke if limit is not None]
    if limited:
        hit, limit = limited[0]
        return _intent(POSSIBLE, limit, limits=hit)
    if reading.review:
        return _intent(POSSIBLE, reading.review[0])
    if reading.consent:
        # "Text me again, but not so often": a limit on when or how often makes it a question
        # for a person (an opt-in would let every text through).
        doubt = [q for q in reading.qualifiers if q.rule.id in _CONSENT_DOUBTS]
        if doubt:
            return _intent(POSSIBLE, doubt[0], limits=reading.consent[0])
        return _intent(CONSENT_WORDS, reading.consent[0])
    helped = _help(readable)
    if helped:
        return helped
    if reading.ordinary:
        # Nothing to act on; the rule that set words aside is kept for the record.
        return _intent(None, reading.ordinary[0])
    return InboundIntent(None)
