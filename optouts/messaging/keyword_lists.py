"""The keywords and replies admins edit, as Twilio's console allows: words added beside the
defaults, and the text of the stop, start and help replies. Every change is recorded with who and
when (SmsKeywordChange).

The defaults (optouts/messaging/keywords.py: the FCC's and the carriers' words) and the words of
the settings are not rows: nothing here can remove or disable them. A word is stored as the
reader normalises a text, and means one thing: a word already a keyword of any kind is refused,
and so is a start word that is an everyday answer (a late "Yes" must never undo a STOP).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from optouts.messaging.keywords import AddedWords, fixed_words, keyword_normalize
from optouts.messaging.models import KeywordKind, SmsKeyword, SmsKeywordChange, SmsKeywordReply

# Answers to a question, not a request to be texted again ("Still interested?" "Yes").
NEVER_START_WORDS = frozenset({"YES", "Y", "YEP", "YEAH", "OK", "OKAY", "SURE", "K"})
WORD_MAX_LENGTH = 60
REPLY_MAX_LENGTH = 480  # three SMS segments


class KeywordError(ValueError):
    """A word or reply an admin may not set; the message says why, for the form."""


def keyword_words_added() -> AddedWords:
    """The words admins added, by kind (what the inbound reading is handed)."""
    by_kind: dict[str, set[str]] = {kind: set() for kind in KeywordKind.values}
    for word, kind in SmsKeyword.objects.values_list("word", "kind"):
        by_kind[kind].add(word)
    return AddedWords(**{kind: frozenset(words) for kind, words in by_kind.items()})


def keyword_word_check(*, word: str, kind: str) -> str:
    """`word` normalised, or KeywordError saying why it cannot be a `kind` keyword."""
    if kind not in KeywordKind.values:
        raise KeywordError(f"Unknown kind of keyword: {kind!r}.")
    normalized = keyword_normalize(word)
    if not normalized:
        raise KeywordError("A keyword needs at least one letter or digit.")
    if len(normalized) > WORD_MAX_LENGTH:
        raise KeywordError(f"A keyword has at most {WORD_MAX_LENGTH} characters.")
    for other, words in fixed_words().items():
        if normalized in words:
            if other == kind:
                raise KeywordError(f"{normalized} is already a {other} word (a default).")
            raise KeywordError(
                f"{normalized} is a {other} word (a default): a word cannot also be a {kind} word."
            )
    existing = SmsKeyword.objects.filter(word=normalized).first()
    if existing is not None:
        if existing.kind == kind:
            raise KeywordError(f"{normalized} is already a {kind} word.")
        raise KeywordError(
            f"{normalized} is already a {existing.kind} word: a word cannot also be a "
            f"{kind} word. Remove it first."
        )
    if kind == KeywordKind.START and normalized in NEVER_START_WORDS:
        raise KeywordError(
            f"{normalized} answers questions in a conversation; as a start word a late "
            f'"{normalized.capitalize()}" would undo a STOP.'
        )
    return normalized


def _record(*, user, action: str, kind: str, word: str = "", before: str = "", after: str = ""):
    SmsKeywordChange.objects.create(
        at=timezone.now(),
        user=user,
        user_label=user.get_username() if user is not None else "system",
        action=action,
        kind=kind,
        word=word,
        before=before,
        after=after,
    )


def keyword_word_add(*, word: str, kind: str, user) -> SmsKeyword:
    """Add a `kind` keyword (checked and normalised by keyword_word_check), recorded."""
    normalized = keyword_word_check(word=word, kind=kind)
    try:
        with transaction.atomic():
            keyword = SmsKeyword.objects.create(
                word=normalized, kind=kind, created_by=user, created_at=timezone.now()
            )
            _record(
                user=user, action=SmsKeywordChange.Action.WORD_ADDED, kind=kind, word=normalized
            )
    except IntegrityError as exc:  # another admin added it in the meantime
        raise KeywordError(f"{normalized} is already a keyword.") from exc
    return keyword


def keyword_word_remove(*, keyword: SmsKeyword, user) -> None:
    """Remove an added keyword, recorded. The defaults are not rows: they cannot come here."""
    with transaction.atomic():
        deleted, _ = SmsKeyword.objects.filter(pk=keyword.pk).delete()
        if deleted:
            _record(
                user=user,
                action=SmsKeywordChange.Action.WORD_REMOVED,
                kind=keyword.kind,
                word=keyword.word,
            )


def keyword_reply_default(*, kind: str) -> str:
    return {
        KeywordKind.STOP: settings.SMS_STOP_REPLY,
        KeywordKind.START: settings.SMS_START_REPLY,
        KeywordKind.HELP: settings.SMS_HELP_REPLY,
    }[kind]


def keyword_reply_template(*, kind: str) -> str:
    """The reply to a `kind` keyword as the admins left it, else the default (the settings').
    optouts.messaging.replies puts the brand and help contact in."""
    text = SmsKeywordReply.objects.filter(kind=kind).values_list("text", flat=True).first()
    return text or keyword_reply_default(kind=kind)


def keyword_replies_ensure() -> None:
    """One reply row per kind (blank: the default), for the admin to edit."""
    for kind in KeywordKind.values:
        SmsKeywordReply.objects.get_or_create(kind=kind)


def keyword_reply_set(*, kind: str, text: str, user) -> SmsKeywordReply:
    """Set the reply to a `kind` keyword; blank or the default's text is the default again.
    Recorded when it changes what is sent."""
    text = (text or "").strip()
    if len(text) > REPLY_MAX_LENGTH:
        raise KeywordError(f"A reply has at most {REPLY_MAX_LENGTH} characters.")
    if text == keyword_reply_default(kind=kind).strip():
        text = ""
    with transaction.atomic():
        reply, _ = SmsKeywordReply.objects.select_for_update().get_or_create(kind=kind)
        before = reply.text or keyword_reply_default(kind=kind)
        after = text or keyword_reply_default(kind=kind)
        if reply.text == text:
            return reply
        reply.text = text
        reply.updated_by = user
        reply.updated_at = timezone.now()
        reply.save(update_fields=["text", "updated_by", "updated_at"])
        _record(
            user=user,
            action=SmsKeywordChange.Action.REPLY_CHANGED,
            kind=kind,
            before=before,
            after=after,
        )
    return reply
