"""The Twilio backend against a fake Twilio REST API on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import base64

import pytest

from optouts.messaging.models import MessageStatus
from optouts.messaging.services import message_send
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.optouts.messaging.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db

NUMBER = "+14155550166"
SID = "AC" + "0" * 32


@pytest.fixture
def fake_twilio(settings):
    with FakeTwilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_FROM_NUMBER = "+14155559999"
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        settings.TWILIO_API_BASE_URL = fake.url
        yield fake


def test_a_send_posts_to_twilios_messages_resource_with_the_account_credentials(fake_twilio):
    message = message_send(to=NUMBER, body="Your documents are ready")
    assert message.status == MessageStatus.SENT
    assert message.provider_id == "SM" + "1".zfill(32)
    assert message.provider_status == "queued"
    (request,) = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["form"] == {
        "To": NUMBER,
        "Body": "Your documents are ready",
        "From": "+14155559999",
    }
    expected = base64.b64encode(f"{SID}:test-auth-token-0123456789abcdef".encode()).decode()
    assert request["auth"] == f"Basic {expected}"


def test_a_messaging_service_and_the_status_callback_url_are_sent_when_configured(
    fake_twilio, settings
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.SMS_WEBHOOK_BASE_URL = "https://crm.example.com/"
    message_send(to=NUMBER, body="Hi")
    form = fake_twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in form
    assert form["StatusCallback"] == "https://crm.example.com/webhooks/sms/status/"


def test_error_21610_on_send_fails_the_message_and_opts_the_number_out_as_system(fake_twilio):
    fake_twilio.next_error = {
        "status": 400,
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
    }
    message = message_send(to=NUMBER, body="Hi")
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "21610"
    assert "unsubscribed" in message.reason
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.channel) == (Source.SYSTEM, Channel.CARRIER)
    event = ConsentEvent.objects.get(phone_number=NUMBER)
    assert event.details["error_code"] == "21610"
    assert event.details["message_id"] == message.pk


def test_other_send_errors_fail_the_message_without_touching_the_list(fake_twilio):
    fake_twilio.next_error = {"status": 400, "code": 21211, "message": "Invalid 'To' number"}
    message = message_send(to=NUMBER, body="Hi")
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "21211"
    assert not OptOut.objects.exists()


def test_an_unreachable_api_fails_the_message(settings, fake_twilio):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # discard port: connection refused
    message = message_send(to=NUMBER, body="Hi")
    assert message.status == MessageStatus.FAILED
    assert "could not be reached" in message.reason


def test_an_opted_out_number_never_reaches_twilio(fake_twilio):
    from optouts.messaging.services import RecipientOptedOut
    from tests.factories import given_opt_out

    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.API)
    with pytest.raises(RecipientOptedOut):
        message_send(to=NUMBER, body="Hi")
    assert fake_twilio.requests == []
