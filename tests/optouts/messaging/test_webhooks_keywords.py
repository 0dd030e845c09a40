"""Issue 15 items 2 and 3 at the inbound webhook: the new keywords, bodies that begin with a stop
word, and the one confirmation (brand, how to opt back in or out) answered in the TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from optouts.messaging.models import InboundAction, InboundMessage, PossibleOptOut
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import given_opt_out
from tests.optouts.messaging.twilio_webhooks import INBOUND, inbound_form, message_sid

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"
BRAND = "Acme Home Loans"


@pytest.fixture(autouse=True)
def _brand(settings):
    settings.SMS_BRAND_NAME = BRAND
    settings.SMS_STOP_REPLY = "{brand}: You are unsubscribed. Reply START to opt back in."
    settings.SMS_START_REPLY = "{brand}: You are subscribed again. Reply STOP to opt out."


@pytest.fixture
def text_in(twilio_post):
    """Text `body` from NUMBER; answers the TwiML's <Message> texts (a list, [] for none)."""
    counter = iter(range(0x7000, 0x8000))

    def send(body: str, *, sid: str | None = None) -> list[str]:
        form = inbound_form(sid=sid or message_sid(next(counter)), body=body, sender=NUMBER)
        response = twilio_post(INBOUND, form)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)  # well-formed XML, or this raises
        assert root.tag == "Response"
        return [message.text for message in root.iter("Message")]

    return send


def _source():
    row = OptOut.objects.filter(phone_number=NUMBER).first()
    return row.source if row else None


def _events():
    return list(ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id"))


@pytest.mark.parametrize(
    "body", ["STOP ALL", "stop-all", "REMOVE", "OPTOUT", "opt out", "Opt-Out", "ARRET", "Arrêt"]
)
def test_the_new_stop_keywords_opt_the_number_out_as_the_contact(text_in, body):
    replies = text_in(body)
    assert _source() == Source.CONTACT
    assert replies == [f"{BRAND}: You are unsubscribed. Reply START to opt back in."]


@pytest.mark.parametrize("body", ["START", "unstop", "Unstop."])
def test_start_and_unstop_opt_the_number_back_in_with_one_confirmation(text_in, body):
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    replies = text_in(body)
    assert _source() is None
    assert replies == [f"{BRAND}: You are subscribed again. Reply STOP to opt out."]


def test_a_repeated_stop_gets_no_second_confirmation(text_in):
    first = text_in("STOP")
    second = text_in("STOP")
    third = text_in("stop texting me")  # begins with STOP: a stop, but nothing left to change
    assert len(first) == 1
    assert second == []
    assert third == []
    assert [e.action for e in _events()] == [ConsentEvent.Action.OPT_OUT]
    assert InboundMessage.objects.filter(action=InboundAction.STOP).count() == 3


def test_a_stop_after_a_start_is_a_new_revocation_and_is_confirmed_again(text_in):
    assert len(text_in("STOP")) == 1
    assert len(text_in("START")) == 1
    assert len(text_in("STOP")) == 1
    assert len(_events()) == 3


def test_a_contact_stop_over_an_agent_opt_out_changes_consent_and_is_confirmed(text_in):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    assert len(text_in("STOP")) == 1
    assert _source() == Source.CONTACT


def test_a_start_from_a_number_not_on_the_list_changes_nothing_and_answers_nothing(text_in):
    assert text_in("Yes") == []
    assert text_in("START") == []
    assert not ConsentEvent.objects.exists()


def test_the_confirmation_is_escaped_xml(text_in, settings):
    settings.SMS_BRAND_NAME = 'Smith & <Sons> "Loans"'
    response_texts = text_in("STOP")
    assert response_texts == [
        'Smith & <Sons> "Loans": You are unsubscribed. Reply START to opt back in.'
    ]


def test_the_raw_twiml_escapes_the_brand(twilio_post, settings):
    settings.SMS_BRAND_NAME = "Smith & <Sons>"
    form = inbound_form(sid=message_sid(0x7FFF), body="STOP", sender=NUMBER)
    raw = twilio_post(INBOUND, form).content.decode()
    assert "Smith &amp; &lt;Sons&gt;" in raw
    assert "<Sons>" not in raw


def test_a_reply_text_without_the_brand_placeholder_gets_the_brand_in_front(text_in, settings):
    settings.SMS_STOP_REPLY = "Unsubscribed. Reply START to opt back in."
    assert text_in("STOP") == [f"{BRAND}: Unsubscribed. Reply START to opt back in."]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("Stop. Thank you", "STOP"),
        ("STOP texting me", "STOP"),
        ("unsubscribe please", "UNSUBSCRIBE"),
        ("Opt-out of this list", "OPT OUT"),
        ("remove me from your list", "REMOVE ME"),
        ("Arrêt s'il vous plaît", "ARRET"),
    ],
)
def test_a_body_that_begins_with_a_stop_word_is_honoured_at_once(text_in, body, word):
    replies = text_in(body)
    assert _source() == Source.CONTACT
    (event,) = _events()
    assert event.channel == Channel.KEYWORD
    assert event.details["leading_stop_word"] == word
    assert event.details["text"] == body
    assert not PossibleOptOut.objects.exists()
    assert InboundMessage.objects.get().action == InboundAction.STOP
    assert len(replies) == 1


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("please don't stop", "ordinary.negated_stop"),
        ("can you stop by", "ordinary.visit"),
        ("Stop by the branch at 3?", "ordinary.visit"),
        ("Cancel my call", "ordinary.domain_object"),
        ("Stop the wire! The new instructions look fake", "ordinary.domain_object"),
    ],
)
def test_a_stop_word_about_something_else_changes_nothing_and_says_why(text_in, body, rule):
    assert text_in(body) == []
    assert _source() is None
    assert not PossibleOptOut.objects.exists()
    assert not ConsentEvent.objects.exists()
    inbound = InboundMessage.objects.get()
    assert (inbound.action, inbound.rule) == (InboundAction.NONE, rule)


def test_an_exact_stop_word_records_no_leading_word(text_in):
    text_in("STOP")
    assert "leading_stop_word" not in _events()[0].details
