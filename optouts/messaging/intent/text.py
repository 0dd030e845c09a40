"""An inbound text made readable for the phrase table: clauses of plain lower-case words.

What a phone, a hurried thumb or a mail client does to a text is undone here, once, so the
rules in optouts/messaging/intent/phrases.py can be written for plain words:

- quoted lines (a reply that quotes our message, "> Reply STOP to opt out") and our own
  opt-out footer are dropped: they are our words, not the contact's;
- accents, case and curly apostrophes go; English contractions close up ("don't" -> "dont",
  "I'm" -> "im"), French elisions open ("m'écrivez" -> "m ecrivez");
- the stop-sign emoji reads as "stop", a face that rolls its eyes or swears as "annoyedface";
- SMS spellings become words ("pls" -> "please", "txting" -> "texting", "#" -> "number"),
  runs of three or more of a letter shrink ("stoppppp", "pleeease"), a word spelt out letter
  by letter joins up ("S T O P"), and a word one slip away from a keyword ("stopp", "stpo",
  "unsubcribe") is read as the keyword, unless it is a real word ("step", "shop", "atop");
- the text is cut into clauses at sentence punctuation, commas, dashes and "but" ("pero",
  "mais"), so a negation or a qualifier only reaches its own clause.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Lines a mail or SMS client quotes, and the opt-out footer of our own messages when quoted.
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_OUR_FOOTER = re.compile(
    r"\breply\s+\W?stop\W?\s+to\s+(?:opt[\s-]*out|unsubscribe|cancel|end|stop)\b\.?",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"\bsent from my \w+\b", re.IGNORECASE)

_EMOJI_WORDS = {
    "\U0001f6d1": " stop ",  # OCTAGONAL SIGN: the stop sign itself
    **{face: " annoyedface " for face in "\U0001f644\U0001f612\U0001f624\U0001f620\U0001f621"},
    "\U0001f92c": " annoyedface ",  # face with symbols over the mouth
    "\U0001f595": " annoyedface ",  # middle finger
}
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc`\u00b4"})
# French elisions: the apostrophe after these opens a space ("m'ecrivez" -> "m ecrivez").
_ELIDED = {"c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu"}
_ELISION = re.compile(r"\b([a-z]+)'(?=[a-z])")
# Where one clause ends and the next begins.
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\r()\[\]{}\"\u201c\u201d\u00ab\u00bb\u2014\u2013]+|\s-+\s")
_CONJUNCTION = re.compile(r"\b(?:but|pero|mais|though|although)\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")

# SMS spellings and common slips, read as the word they stand for.
SMS_SPELLINGS = {
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "pleas": "please",
    "plis": "please",
    "txt": "text",
    "tx": "text",
    "txts": "texts",
    "txting": "texting",
    "texing": "texting",
    "textin": "texting",
    "textn": "texting",
    "msg": "message",
    "msgs": "messages",
    "mssg": "message",
    "mssgs": "messages",
    "msging": "messaging",
    "msgn": "messaging",
    "u": "you",
    "ur": "your",
    "yr": "your",
    "r": "are",
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thanks",
    "stp": "stop",
    "stahp": "stop",
    "unsub": "unsubscribe",
    "dnt": "dont",
    "plzz": "please",
    "nbr": "number",
    "num": "number",
    "ppl": "people",
    "porfa": "por favor",
    "porfavor": "por favor",
    "xfa": "por favor",
}

# Keywords a slip of the thumb may produce, and the real words near them that are not slips.
_FUZZY_TARGETS = ("stop", "unsubscribe", "cancel", "remove", "texting", "messages", "message")
_REAL_WORDS_TEXT = (
    "step steps shop shops stoop stomp strop stow stoa atop top tops spot spots post slop sop "
    "store stops stopped stock stone story soap cancer camel panel removed remover remote resume "
    "reuse massage massages testing tests test texas"
)
_REAL_WORDS = frozenset(_REAL_WORDS_TEXT.split())
# Words joined when spelt out one letter at a time ("S T O P").
_SPELT_OUT = frozenset(
    {"stop", "end", "quit", "alto", "help", "info", "start", "arret", "baja", "unsubscribe"}
)


def _edits_within_one(word: str, target: str) -> bool:
    """Damerau-Levenshtein distance of at most 1 (one insertion, deletion, substitution or
    swap of neighbours)."""
    if word == target:
        return True
    lw, lt = len(word), len(target)
    if abs(lw - lt) > 1:
        return False
    if lw == lt:
        diffs = [i for i in range(lw) if word[i] != target[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and word[diffs[0]] == target[diffs[1]]
            and word[diffs[1]] == target[diffs[0]]
        )
    short, long_ = (word, target) if lw < lt else (target, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _fuzzy(word: str) -> str:
    if len(word) < 4 or word in _REAL_WORDS or word in _FUZZY_TARGETS or not word.isalpha():
        return word
    for target in _FUZZY_TARGETS:
        if _edits_within_one(word, target):
            return target
    # Long keywords tolerate two slips ("unsubcsribe").
    if len(word) >= 9 and word.startswith("uns") and _two_edits(word, "unsubscribe"):
        return "unsubscribe"
    return word


def _two_edits(word: str, target: str) -> bool:
    for i in range(len(word) + 1):
        for c in "abcdefghijklmnopqrstuvwxyz":
            if _edits_within_one(word[:i] + c + word[i:], target):
                return True
        if i < len(word) and _edits_within_one(word[:i] + word[i + 1 :], target):
            return True
    return False


def _join_spelt_out(words: list[str]) -> list[str]:
    """ "s t o p" -> "stop" when the run of single letters spells a keyword."""
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j]) == 1 and words[j].isalpha():
            j += 1
        if j - i >= 3 and "".join(words[i:j]) in _SPELT_OUT:
            out.append("".join(words[i:j]))
            i = j
            continue
        out.append(words[i])
        i += 1
    return out


def _words(clause: str) -> list[str]:
    words = [w for w in _NOT_WORD.split(clause) if w]
    words = _join_spelt_out(words)
    out: list[str] = []
    for word in words:
        word = _LETTER_RUN.sub(r"\1", word)
        word = SMS_SPELLINGS.get(word, word)
        out.extend(_fuzzy(w) for w in word.split())
    return out


@dataclass(frozen=True)
class ReadableText:
    """`clauses`: each a string of plain words separated by single spaces; `question`: for
    each clause, whether a question mark ended it; `words`: every word, in order."""

    clauses: tuple[str, ...]
    question: tuple[bool, ...]

    @property
    def words(self) -> list[str]:
        return " ".join(self.clauses).split()

    @property
    def whole(self) -> str:
        return " ".join(self.clauses)


def text_readable(body: str) -> ReadableText:
    """`body` as clauses of plain words (see the module docstring)."""
    text = _QUOTED_LINE.sub(" ", body or "")
    text = _OUR_FOOTER.sub(" ", text)
    text = _SIGNATURE.sub(" ", text)
    for emoji, words in _EMOJI_WORDS.items():
        text = text.replace(emoji, words)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.translate(_APOSTROPHES)
    text = _ELISION.sub(lambda m: m[1] + (" " if m[1] in _ELIDED else ""), text)
    text = text.replace("'", "").replace("#", " number ").replace("&", " and ")
    clauses: list[str] = []
    questions: list[bool] = []
    pieces = _CLAUSE_BREAK.split(text)
    breaks = _CLAUSE_BREAK.findall(text) + [""]
    for piece, brk in zip(pieces, breaks, strict=True):
        for part in _CONJUNCTION.split(piece):
            words = _words(part)
            if words:
                clauses.append(" ".join(words))
                questions.append("?" in brk)
    return ReadableText(tuple(clauses), tuple(questions))
