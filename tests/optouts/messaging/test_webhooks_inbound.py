"""POST /webhooks/sms/inbound/: stop, start and help keywords, possible opt-outs, replays."""

from __future__ import annotations

import pytest

from optouts.messaging.models import InboundAction, InboundMessage, PossibleOptOut
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import given_opt_out
from tests.optouts.messaging.twilio_webhooks import INBOUND, inbound_form, message_sid

pytestmark = pytest.mark.django_db

NUMBER = "+14155550123"
SID_STOP, SID_DUP, SID_OTHER, SID_MAYBE, SID_P = (message_sid(n) for n in range(0xF01, 0xF06))


@pytest.fixture
def text_in(twilio_post):
    counter = iter(range(1, 1000))

    def send(body: str, *, sid: str | None = None, opt_out_type: str = "", sender=NUMBER):
        form = inbound_form(sid=sid or message_sid(next(counter)), body=body, sender=sender)
        if opt_out_type:
            form["OptOutType"] = opt_out_type
        response = twilio_post(INBOUND, form)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        return response.content.decode()

    return send


def _source():
    row = OptOut.objects.filter(phone_number=NUMBER).first()
    return row.source if row else None


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "opt-out", "Opt Out", "ALTO", "end"])
def test_a_stop_word_opts_the_number_out_as_the_contact_and_confirms_once(text_in, settings, body):
    reply = text_in(body, sid=SID_STOP)
    assert _source() == Source.CONTACT
    row = OptOut.objects.get(phone_number=NUMBER)
    assert row.channel == Channel.KEYWORD
    event = ConsentEvent.objects.get(phone_number=NUMBER)
    assert event.details["text"] == body
    assert event.details["message_sid"] == SID_STOP
    assert reply.count("<Message>") == 1
    assert settings.SMS_STOP_REPLY.replace("{brand}", settings.SMS_BRAND_NAME) in reply
    assert InboundMessage.objects.get(message_sid=SID_STOP).action == InboundAction.STOP


def test_a_stop_word_upgrades_an_agent_opt_out_to_contact(text_in):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    text_in("STOP")
    assert _source() == Source.CONTACT


def test_no_confirmation_when_the_provider_already_replies(text_in, settings):
    settings.SMS_PROVIDER_REPLIES_TO_KEYWORDS = True
    reply = text_in("STOP")
    assert _source() == Source.CONTACT
    assert "<Message>" not in reply
    assert "<Response" in reply


@pytest.mark.parametrize("source", [Source.AGENT, Source.SYSTEM, Source.CONTACT])
def test_a_start_word_opts_the_number_back_in_from_any_source(text_in, settings, source):
    given_opt_out(number=NUMBER, source=source, channel=Channel.UI)
    reply = text_in("Start")
    assert _source() is None
    assert settings.SMS_START_REPLY.replace("{brand}", settings.SMS_BRAND_NAME) in reply
    event = ConsentEvent.objects.filter(phone_number=NUMBER).order_by("-id").first()
    assert event.action == ConsentEvent.Action.OPT_IN
    assert event.channel == Channel.KEYWORD


def test_a_help_word_answers_the_help_text_and_changes_nothing(text_in, settings):
    settings.SMS_HELP_REPLY = "Call 555-0100 & ask for <help>."
    reply = text_in("ayuda")
    assert "Call 555-0100 &amp; ask for &lt;help&gt;." in reply
    assert not ConsentEvent.objects.exists()


def test_the_providers_opt_out_type_decides(text_in):
    text_in("Arrêtez", opt_out_type="STOP")
    assert _source() == Source.CONTACT
    text_in("whatever", opt_out_type="START")
    assert _source() is None


def test_a_stop_request_in_words_opts_out_at_once_with_its_rule(text_in, settings):
    reply = text_in("please stop texting me", sid=SID_MAYBE)
    assert _source() == Source.CONTACT
    assert settings.SMS_STOP_REPLY.replace("{brand}", settings.SMS_BRAND_NAME) in reply
    event = ConsentEvent.objects.get(phone_number=NUMBER)
    assert event.channel == Channel.SMS
    assert event.details["rule"] == "en.stop_messages"
    assert event.details["matched"] == "stop texting"
    assert "64.1200" in event.details["rule_source"]
    inbound = InboundMessage.objects.get(message_sid=SID_MAYBE)
    assert (inbound.action, inbound.rule) == (InboundAction.REVOCATION, "en.stop_messages")
    assert not PossibleOptOut.objects.exists()


def test_a_limited_stop_request_is_flagged_not_acted_on(text_in):
    reply = text_in("please stop texting me so early", sid=SID_MAYBE)
    assert _source() is None
    assert "<Message>" not in reply
    flag = PossibleOptOut.objects.get()
    assert flag.phone_number == NUMBER
    assert flag.matched_word == "stop texting / so early"
    assert flag.status == PossibleOptOut.Status.OPEN
    assert flag.inbound.message_sid == SID_MAYBE
    assert flag.inbound.action == InboundAction.POSSIBLE_OPT_OUT
    assert flag.inbound.rule == "qualify.time"


def test_an_ordinary_message_is_logged_and_nothing_else(text_in):
    reply = text_in("What rate can I get?")
    assert "<Message>" not in reply
    assert InboundMessage.objects.get().action == InboundAction.NONE
    assert not PossibleOptOut.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_the_same_message_sid_twice_is_processed_once(text_in):
    first = text_in("STOP", sid=SID_DUP)
    text_in("START", sid=SID_OTHER)
    again = text_in("STOP", sid=SID_DUP)  # the provider retries an old delivery
    assert "<Message>" in first
    assert "<Message>" not in again
    assert _source() is None  # the replayed STOP did not undo the later START
    assert InboundMessage.objects.filter(message_sid=SID_DUP).count() == 1
    assert ConsentEvent.objects.filter(phone_number=NUMBER).count() == 2


def test_a_replayed_possible_opt_out_is_flagged_once(text_in):
    text_in("maybe later", sid=SID_P)
    text_in("maybe later", sid=SID_P)
    assert PossibleOptOut.objects.count() == 1


def test_a_sender_that_is_not_a_phone_number_is_logged_without_action(text_in):
    text_in("STOP", sender="ALPHA-ID")
    inbound = InboundMessage.objects.get()
    assert inbound.action == InboundAction.INVALID_SENDER
    assert not OptOut.objects.exists()


def test_a_request_without_message_sid_is_refused(twilio_post):
    form = inbound_form(sid=SID_STOP, body="STOP", sender=NUMBER)
    del form["MessageSid"]
    response = twilio_post(INBOUND, form)
    assert response.status_code == 400
    assert not OptOut.objects.exists()
