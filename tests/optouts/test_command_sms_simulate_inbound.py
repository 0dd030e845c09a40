"""manage.py sms_simulate_inbound: a signed, complete Twilio inbound form that STOP/START act on."""

from __future__ import annotations

import re
import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from optouts.management.commands.sms_simulate_inbound import inbound_form, sms_segments
from optouts.messaging.models import InboundMessage
from optouts.models import ConsentEvent, OptOut, Source

pytestmark = pytest.mark.django_db

TOKEN = "simulator-test-token"
NUMBER = "+14155550123"
SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
# What Twilio always sends with an inbound SMS (MessagingServiceSid only with a service).
TWILIO_INBOUND_PARAMETERS = {
    "ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity", "FromZip", "SmsSid",
    "FromState", "SmsStatus", "FromCity", "Body", "FromCountry", "To", "ToZip", "NumSegments",
    "MessageSid", "AccountSid", "From", "ApiVersion",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.SMS_PROVIDER_REPLIES_TO_KEYWORDS = False


def _simulate(*args: str) -> str:
    out = StringIO()
    call_command("sms_simulate_inbound", *args, stdout=out)
    return out.getvalue()


def test_stop_then_start_opt_the_number_out_and_back_in_through_the_signed_webhook():
    out = _simulate("--from", "(415) 555-0123", "--body", "STOP")

    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
    assert "Reply START to opt back in" in out
    assert "Sent 'STOP' from (415) 555-0123 as SM" in out
    assert "(415) 555-0123 is now opted out (source contact)." in out

    out = _simulate("--from", NUMBER, "--body", "START")

    assert not OptOut.objects.filter(phone_number=NUMBER).exists()
    assert "(415) 555-0123 is now opted in." in out
    assert ConsentEvent.objects.filter(phone_number=NUMBER).count() == 2


def test_each_simulated_text_has_a_new_twilio_format_message_sid():
    _simulate("--from", NUMBER, "--body", "HELP")
    _simulate("--from", NUMBER, "--body", "HELP")

    sids = list(InboundMessage.objects.values_list("message_sid", flat=True))
    assert len(set(sids)) == 2
    assert all(SID.match(sid) for sid in sids)


def test_the_form_carries_every_parameter_twilio_always_sends(settings):
    form = inbound_form(from_number=NUMBER, to_number="+15005550006", body="STOP")

    assert set(form) >= TWILIO_INBOUND_PARAMETERS
    assert "MessagingServiceSid" not in form
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"]
    assert SID.match(form["MessageSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", form["AccountSid"])
    assert (form["From"], form["FromCountry"], form["SmsStatus"]) == (NUMBER, "US", "received")
    assert (form["NumMedia"], form["NumSegments"], form["ApiVersion"]) == ("0", "1", "2010-04-01")


def test_the_form_uses_the_configured_account_and_messaging_service(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32

    form = inbound_form(from_number=NUMBER, to_number="+15005550006", body="STOP")

    assert form["AccountSid"] == "AC" + "1" * 32
    assert form["MessagingServiceSid"] == "MG" + "2" * 32


def test_segments_count_like_twilio():
    assert sms_segments("STOP") == 1
    assert sms_segments("x" * 160) == 1
    assert sms_segments("x" * 161) == 2
    assert sms_segments("é" * 71) == 2


def test_without_a_token_it_refuses_and_says_where_the_token_comes_from(settings):
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(CommandError, match="TWILIO_AUTH_TOKEN is not set.*make run"):
        _simulate("--from", NUMBER, "--body", "STOP")

    assert not InboundMessage.objects.exists()


def test_a_malformed_sender_is_refused_before_anything_is_sent():
    with pytest.raises(CommandError, match="not a valid phone number"):
        _simulate("--from", "555-CALL", "--body", "STOP")


def test_an_unreachable_server_is_a_clear_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(CommandError, match="Could not reach .*Is the server running"):
        _simulate("--from", NUMBER, "--body", "STOP", "--server", f"http://127.0.0.1:{port}")


@pytest.mark.django_db(transaction=True)
def test_it_posts_to_a_running_server_signed_for_that_server(live_server, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

    out = _simulate("--from", NUMBER, "--body", "STOP", "--server", live_server.url)

    assert f"Reply to the contact: {settings.SMS_BRAND_NAME}: You are unsubscribed" in out
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
