"""Issue 13, items 1 and 4: forged or odd inbound webhooks, each signed with our token.

Twilio's signature joins the sorted names and values without separators, so a signed request
can be re-cut (a name moved into the value before it) and still validate. These tests replay
such cuts and other odd-but-signed requests, and check that none opts a STOP'd contact back
in, that none gives a 500, and that a stop word is always honoured.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from twilio.request_validator import RequestValidator

from optouts.messaging.models import InboundAction, InboundMessage
from optouts.models import OptOut, Source
from tests.optouts.messaging.conftest import AUTH_TOKEN
from tests.optouts.messaging.fake_twilio import FakeTwilio
from tests.optouts.messaging.twilio_webhooks import (
    ACCOUNT_SID,
    INBOUND,
    OUR_NUMBER,
    inbound_form,
    message_sid,
    signature,
    signed_post,
    webhook_settings,
)

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"
START_SID = message_sid(0xA1)
STOP_SID = message_sid(0xB2)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    webhook_settings(settings)


def _source():
    row = OptOut.objects.filter(phone_number=NUMBER).first()
    return row.source if row else None


def _text(client, sid: str, body: str, **extra):
    response = signed_post(
        client, INBOUND, inbound_form(sid=sid, body=body, sender=NUMBER, **extra)
    )
    assert response.status_code == 200, response.content
    return response


# --- Item 1: a captured signed START cannot be re-used under a new sid -------------------------


def test_replayed_start_with_a_forged_sid_is_refused(client):
    start = inbound_form(sid=START_SID, body="START", sender=NUMBER)
    captured_signature = signature(INBOUND, start)
    assert (
        client.post(INBOUND, start, HTTP_X_TWILIO_SIGNATURE=captured_signature).status_code == 200
    )
    _text(client, STOP_SID, "STOP")
    assert _source() == Source.CONTACT

    # The attacker drops NumMedia=0 and appends its name and value to MessageSid: the joined
    # string, so the signature, is unchanged, and the sid looks new.
    forged = {k: v for k, v in start.items() if k != "NumMedia"}
    forged["MessageSid"] = START_SID + "NumMedia0"
    assert RequestValidator(AUTH_TOKEN).validate(
        f"http://testserver{INBOUND}", forged, captured_signature
    )
    response = client.post(INBOUND, forged, HTTP_X_TWILIO_SIGNATURE=captured_signature)

    assert response.status_code == 400
    assert _source() == Source.CONTACT
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize(
    "sid",
    [
        "SMstop",  # not hex
        "SM" + "a" * 31,  # too short
        "SM" + "a" * 33,  # too long
        "SM" + "A" * 32,  # Twilio's hex is lower case
        "CA" + "a" * 32,  # a call, not a message
        "SM" + "a" * 32 + "\n",  # a trailing newline must not slip through `$`
    ],
)
def test_a_message_sid_not_in_twilios_format_is_refused(client, sid):
    form = inbound_form(sid=sid, body="START", sender=NUMBER)
    response = signed_post(client, INBOUND, form)
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("field", ["SmsSid", "SmsMessageSid"])
def test_message_sids_that_disagree_are_refused(client, field):
    form = inbound_form(sid=START_SID, body="START", sender=NUMBER, **{field: STOP_SID})
    assert signed_post(client, INBOUND, form).status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_request_for_another_twilio_account_is_refused(client, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "f" * 32
    form = inbound_form(sid=START_SID, body="STOP", sender=NUMBER)  # AccountSid: ACCOUNT_SID
    assert signed_post(client, INBOUND, form).status_code == 403
    assert not InboundMessage.objects.exists()
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    assert signed_post(client, INBOUND, form).status_code == 200


@pytest.mark.parametrize(
    "missing", ["AccountSid", "Body", "From", "MessageSid", "NumMedia", "SmsSid", "To"]
)
def test_a_request_without_a_parameter_twilio_always_sends_is_refused(client, missing):
    form = inbound_form(sid=START_SID, body="START", sender=NUMBER)
    del form[missing]
    assert signed_post(client, INBOUND, form).status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_parameter_sent_twice_is_refused(client):
    # The signature covers both values; the view would read only one of them.
    form = list(inbound_form(sid=START_SID, body="START", sender=NUMBER).items())
    form.append(("Body", "STOP"))
    response = client.post(
        INBOUND,
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature(INBOUND, QueryDict(urlencode(form))),
    )
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_num_media_that_is_not_a_number_is_refused(client):
    # NumMedia absorbing the name and value after it: another re-cut of a signed request.
    form = inbound_form(sid=START_SID, body="START", sender=NUMBER)
    del form["NumSegments"]
    form["NumMedia"] = "0NumSegments1"
    assert signed_post(client, INBOUND, form).status_code == 400
    assert not InboundMessage.objects.exists()


# --- Item 1: the provider's order decides, not the order webhooks arrive in --------------------


@pytest.fixture
def fake_twilio(settings):
    with FakeTwilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        settings.TWILIO_FROM_NUMBER = OUR_NUMBER
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        settings.TWILIO_API_BASE_URL = fake.url
        yield fake


def _at_twilio(
    fake, sid: str, body: str, created: str, sender: str = NUMBER, direction: str = "inbound"
) -> None:
    fake.messages[sid] = {
        "account_sid": ACCOUNT_SID,
        "body": body,
        "date_created": created,
        "direction": direction,
        "from": sender,
        "to": OUR_NUMBER,
        "status": "received",
    }


def test_a_start_twilio_created_before_a_later_stop_does_not_opt_back_in(client, fake_twilio):
    # The contact texted START, then STOP; the START's webhook failed and is retried late.
    _at_twilio(fake_twilio, START_SID, "START", "Mon, 02 Mar 2026 15:00:00 +0000")
    _at_twilio(fake_twilio, STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:07 +0000")
    _text(client, STOP_SID, "STOP")
    response = _text(client, START_SID, "START")

    assert _source() == Source.CONTACT
    assert "<Message>" not in response.content.decode()
    start = InboundMessage.objects.get(message_sid=START_SID)
    assert start.action == InboundAction.START_IGNORED
    assert start.outcome == "later_stop"


def test_a_start_twilio_created_before_a_later_revocation_in_words_does_not_opt_back_in(
    client, fake_twilio
):
    # "Leave me alone" is as much the contact's last word as STOP: a late START never undoes it.
    _at_twilio(fake_twilio, START_SID, "START", "Mon, 02 Mar 2026 15:00:00 +0000")
    _at_twilio(fake_twilio, STOP_SID, "Leave me alone", "Mon, 02 Mar 2026 15:00:07 +0000")
    _text(client, STOP_SID, "Leave me alone")
    _text(client, START_SID, "START")

    assert _source() == Source.CONTACT
    assert InboundMessage.objects.get(message_sid=STOP_SID).action == InboundAction.REVOCATION
    start = InboundMessage.objects.get(message_sid=START_SID)
    assert (start.action, start.outcome) == (InboundAction.START_IGNORED, "later_stop")


def test_a_re_consent_in_words_twilio_created_before_a_later_stop_does_not_opt_back_in(
    client, fake_twilio
):
    _at_twilio(fake_twilio, START_SID, "You can text me again", "Mon, 02 Mar 2026 15:00:00 +0000")
    _at_twilio(fake_twilio, STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:07 +0000")
    _text(client, STOP_SID, "STOP")
    _text(client, START_SID, "You can text me again")

    assert _source() == Source.CONTACT
    start = InboundMessage.objects.get(message_sid=START_SID)
    assert (start.action, start.outcome) == (InboundAction.START_IGNORED, "later_stop")


def test_a_start_twilio_created_after_the_stop_opts_back_in(client, fake_twilio):
    _at_twilio(fake_twilio, STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:00 +0000")
    _at_twilio(fake_twilio, START_SID, "START", "Mon, 02 Mar 2026 15:00:07 +0000")
    _text(client, STOP_SID, "STOP")
    _text(client, START_SID, "START")
    assert _source() is None
    stop = InboundMessage.objects.get(message_sid=STOP_SID)
    assert stop.provider_created_at.isoformat() == "2026-03-02T15:00:00+00:00"
    reads = [r for r in fake_twilio.requests if r.get("method") == "GET"]
    assert [r["path"] for r in reads] == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json" for sid in (STOP_SID, START_SID)
    ]


def test_a_start_twilio_never_created_is_not_applied(client, fake_twilio):
    _at_twilio(fake_twilio, STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:00 +0000")
    _text(client, STOP_SID, "STOP")
    _text(client, START_SID, "START")  # Twilio answers 404 for this sid
    assert _source() == Source.CONTACT
    assert InboundMessage.objects.get(message_sid=START_SID).outcome == "not_at_provider"


@pytest.mark.parametrize(
    "record", [{"sender": "+14155550100"}, {"direction": "outbound-api"}], ids=["from", "direction"]
)
def test_a_start_twilio_records_otherwise_is_not_applied(client, fake_twilio, record):
    _at_twilio(fake_twilio, STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:00 +0000")
    _at_twilio(fake_twilio, START_SID, "START", "Mon, 02 Mar 2026 15:00:07 +0000", **record)
    _text(client, STOP_SID, "STOP")
    _text(client, START_SID, "START")
    assert _source() == Source.CONTACT
    assert InboundMessage.objects.get(message_sid=START_SID).outcome == "not_at_provider"


def test_when_twilio_cannot_be_asked_arrival_order_decides(client, fake_twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    _text(client, STOP_SID, "STOP")
    _text(client, START_SID, "START")
    assert _source() is None
    assert InboundMessage.objects.get(message_sid=START_SID).provider_created_at is None


# --- Item 4: control characters and long values --------------------------------------------


@pytest.mark.parametrize("field", ["Body", "From", "To", "OptOutType", "FromCountry"])
def test_a_nul_byte_in_a_signed_field_is_recorded_without_it(client, field):
    form = inbound_form(sid=START_SID, body="Hello", sender=NUMBER)
    form[field] = form.get(field, "") + "\x00\x07"
    response = signed_post(client, INBOUND, form)
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    for value in (inbound.body, inbound.from_raw, inbound.to_number, inbound.opt_out_type):
        assert "\x00" not in value
        assert "\x07" not in value


@pytest.mark.parametrize("body", ["STOP\x00", "\x00STOP", "STOP\x00\x00\x1b", "stop\r\n"])
def test_a_stop_with_control_characters_is_recorded_and_honoured(client, body):
    response = signed_post(client, INBOUND, inbound_form(sid=STOP_SID, body=body, sender=NUMBER))
    assert response.status_code == 200
    assert _source() == Source.CONTACT
    inbound = InboundMessage.objects.get(message_sid=STOP_SID)
    assert inbound.action == InboundAction.STOP
    assert "\x00" not in inbound.body


def test_newlines_and_tabs_in_a_body_are_kept(client):
    signed_post(client, INBOUND, inbound_form(sid=STOP_SID, body="a\tb\nc", sender=NUMBER))
    assert InboundMessage.objects.get().body == "a\tb\nc"


@pytest.mark.parametrize("sid", ["SM" + "a" * 63, START_SID + "\x00"])
def test_a_message_sid_over_64_characters_or_with_a_nul_gets_400(client, sid):
    form = inbound_form(sid=sid, body="STOP", sender=NUMBER)
    assert signed_post(client, INBOUND, form).status_code == 400
    assert not InboundMessage.objects.exists()


def test_long_from_and_to_values_are_recorded_cut_to_their_fields(client):
    form = inbound_form(sid=STOP_SID, body="STOP", sender="+1" + "4" * 200, to="9" * 300)
    assert signed_post(client, INBOUND, form).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.action == InboundAction.INVALID_SENDER
    assert len(inbound.from_raw) == 40
    assert len(inbound.to_number) == 40
