"""Keywords and replies admins edit: added words are read as the defaults are, the replies sent
are the edited ones, the defaults cannot be removed, a word means one thing, and every change is
recorded with who and when."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from optouts.messaging.intent import inbound_intent_read
from optouts.messaging.keyword_lists import (
    KeywordError,
    keyword_reply_set,
    keyword_reply_template,
    keyword_word_add,
    keyword_word_check,
    keyword_word_remove,
    keyword_words_added,
)
from optouts.messaging.keywords import STOP, fixed_words
from optouts.messaging.models import InboundMessage, OutboundMessage, SmsKeyword, SmsKeywordChange
from optouts.models import OptOut
from tests.factories import UserFactory
from tests.optouts.messaging.twilio_webhooks import INBOUND, inbound_form, message_sid

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"
BRAND = "Acme Home Loans"


@pytest.fixture(autouse=True)
def _texts(settings):
    settings.SMS_BRAND_NAME = BRAND
    settings.SMS_STOP_REPLY = "{brand}: You are unsubscribed. Reply START to opt back in."
    settings.SMS_START_REPLY = "{brand}: You are subscribed again. Reply STOP to opt out."


@pytest.fixture
def admin(db):
    return UserFactory(username="carol", is_staff=True)


@pytest.fixture
def text_in(twilio_post):
    counter = iter(range(0x7000, 0x8000))

    def send(body: str) -> list[str]:
        form = inbound_form(sid=message_sid(next(counter)), body=body, sender=NUMBER)
        response = twilio_post(INBOUND, form)
        assert response.status_code == 200, response.content
        return [m.text for m in ET.fromstring(response.content).iter("Message")]

    return send


def test_an_edited_stop_reply_is_the_one_sent_and_stored_as_evidence(text_in, admin):
    keyword_reply_set(
        kind="stop", text="{brand}: Done, no more texts. Text START to come back.", user=admin
    )
    sent = f"{BRAND}: Done, no more texts. Text START to come back."
    assert text_in("STOP") == [sent]
    (reply,) = OutboundMessage.objects.filter(to_number=NUMBER)
    assert reply.body == sent
    assert reply.in_reply_to == InboundMessage.objects.get(body="STOP")


def test_an_edited_start_reply_is_the_one_sent(text_in, admin):
    keyword_reply_set(kind="start", text="Welcome back! Reply STOP to opt out.", user=admin)
    text_in("STOP")
    assert text_in("START") == [f"{BRAND}: Welcome back! Reply STOP to opt out."]


def test_a_reply_set_blank_or_to_the_default_is_the_default_again(admin, settings):
    keyword_reply_set(kind="stop", text="Bye.", user=admin)
    assert keyword_reply_template(kind="stop") == "Bye."
    keyword_reply_set(kind="stop", text=" ", user=admin)
    assert keyword_reply_template(kind="stop") == settings.SMS_STOP_REPLY
    keyword_reply_set(kind="stop", text=settings.SMS_STOP_REPLY, user=admin)
    # Only the two changes that changed what is sent are recorded.
    assert SmsKeywordChange.objects.filter(action="reply_changed").count() == 2


def test_a_stop_word_an_admin_added_opts_the_number_out(text_in, admin):
    text_in("SCRAM")
    assert not OptOut.objects.filter(phone_number=NUMBER).exists()
    keyword_word_add(word="scram", kind="stop", user=admin)
    assert text_in("Scram!") != []
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    inbound = InboundMessage.objects.get(body="Scram!")
    assert inbound.action == "stop"


def test_a_start_word_an_admin_added_opts_the_number_back_in(text_in, admin):
    keyword_word_add(word="Resume texts", kind="start", user=admin)
    text_in("STOP")
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    text_in("resume   TEXTS.")
    assert not OptOut.objects.filter(phone_number=NUMBER).exists()


def test_a_removed_word_is_no_longer_a_keyword(admin):
    keyword = keyword_word_add(word="scram", kind="stop", user=admin)
    assert inbound_intent_read(body="SCRAM", added_words=keyword_words_added()).kind == STOP
    keyword_word_remove(keyword=keyword, user=admin)
    assert inbound_intent_read(body="SCRAM", added_words=keyword_words_added()).kind is None


def test_words_are_normalised_as_the_reader_normalises_them(admin):
    keyword = keyword_word_add(word="  Arrêt-Tout! ", kind="stop", user=admin)
    assert keyword.word == "ARRET TOUT"
    assert inbound_intent_read(body="arret tout", added_words=keyword_words_added()).kind == STOP


@pytest.mark.parametrize(
    ("word", "kind", "says"),
    [
        ("stop", "start", "STOP is a stop word (a default): a word cannot also be a start word"),
        ("Unstop", "stop", "UNSTOP is a start word (a default)"),
        ("info", "stop", "INFO is a help word (a default)"),
        ("Quit", "stop", "QUIT is already a stop word (a default)"),
        ("yes", "start", "answers questions"),
        ("!!", "stop", "at least one letter or digit"),
    ],
)
def test_a_word_that_collides_or_cannot_be_a_keyword_is_refused(admin, word, kind, says):
    with pytest.raises(KeywordError, match=re.escape(says)):
        keyword_word_add(word=word, kind=kind, user=admin)
    assert not SmsKeyword.objects.exists()
    assert not SmsKeywordChange.objects.exists()


def test_an_added_word_cannot_be_added_again_as_another_kind(admin):
    keyword_word_add(word="scram", kind="stop", user=admin)
    with pytest.raises(KeywordError, match="SCRAM is already a stop word"):
        keyword_word_check(word="Scram.", kind="start")


def test_the_defaults_are_always_keywords_whatever_the_rows(admin):
    fixed = fixed_words()
    for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"):
        assert word in fixed["stop"]
    assert {"START", "UNSTOP"} <= fixed["start"]
    assert {"HELP", "INFO"} <= fixed["help"]
    keyword_word_add(word="scram", kind="stop", user=admin)
    SmsKeyword.objects.all().delete()
    assert inbound_intent_read(body="REVOKE", added_words=keyword_words_added()).kind == STOP


def test_every_change_is_recorded_with_who_and_when(admin):
    keyword = keyword_word_add(word="scram", kind="stop", user=admin)
    keyword_word_remove(keyword=keyword, user=admin)
    keyword_reply_set(kind="help", text="Call us.", user=admin)
    changes = list(SmsKeywordChange.objects.order_by("id"))
    assert [(c.action, c.kind, c.word, c.user_label) for c in changes] == [
        ("word_added", "stop", "SCRAM", "carol"),
        ("word_removed", "stop", "SCRAM", "carol"),
        ("reply_changed", "help", "", "carol"),
    ]
    assert all(c.at is not None and c.user == admin for c in changes)
    assert changes[2].after == "Call us."
    with pytest.raises(ValueError, match="never"):
        changes[0].delete()
    changes[0].word = "OTHER"
    with pytest.raises(ValueError, match="never"):
        changes[0].save()
