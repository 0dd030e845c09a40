"""POST /webhooks/sms/status/: message status, and carrier error codes to system opt-outs."""

from __future__ import annotations

import pytest

from optouts.messaging.models import MessageStatus, OutboundMessage, StatusCallbackEvent
from optouts.messaging.services import message_send
from optouts.models import Channel, OptOut, Source
from tests.factories import given_opt_out
from tests.optouts.messaging.twilio_webhooks import STATUS, message_sid, status_form

pytestmark = pytest.mark.django_db

NUMBER = "+14155550142"


@pytest.fixture
def sent_message(db):
    """A message sent through the local backend, given the id Twilio would have given it."""
    message = message_send(to=NUMBER, body="Your rate quote is ready.")
    OutboundMessage.objects.filter(pk=message.pk).update(provider_id=message_sid(message.pk))
    message.refresh_from_db()
    return message


@pytest.fixture
def callback(twilio_post):
    def post(sid, status, error_code="", to=NUMBER):
        form = status_form(sid=sid, status=status, to=to, error_code=error_code)
        response = twilio_post(STATUS, form)
        assert response.status_code == 204
        return StatusCallbackEvent.objects.order_by("-id").first()

    return post


def test_a_delivered_callback_marks_the_message_delivered(sent_message, callback):
    callback(sent_message.provider_id, "sent")
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.SENT
    callback(sent_message.provider_id, "delivered")
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED
    assert sent_message.provider_status == "delivered"


def test_a_late_sent_callback_does_not_undo_delivered(sent_message, callback):
    callback(sent_message.provider_id, "delivered")
    callback(sent_message.provider_id, "sent")
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.DELIVERED


@pytest.mark.parametrize("code", ["21610", "30005", "30006"])
def test_listed_error_codes_opt_the_number_out_as_system(sent_message, callback, code):
    event = callback(sent_message.provider_id, "undelivered", code)
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.FAILED
    assert sent_message.error_code == code
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.channel) == (Source.SYSTEM, Channel.CARRIER)
    assert event.action == "system_opt_out"
    assert event.message == sent_message


def test_other_error_codes_are_only_recorded(sent_message, callback):
    event = callback(sent_message.provider_id, "failed", "30007")  # carrier filtering
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.FAILED
    assert sent_message.error_code == "30007"
    assert not OptOut.objects.exists()
    assert event.action == "recorded"


def test_the_code_list_is_a_setting(settings, sent_message, callback):
    settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES = ["21610"]
    callback(sent_message.provider_id, "undelivered", "30006")
    assert not OptOut.objects.exists()


def test_a_carrier_opt_out_never_downgrades_a_contact_stop(sent_message, callback):
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    event = callback(sent_message.provider_id, "undelivered", "21610")
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
    assert event.outcome == "already_opted_out"


def test_a_callback_for_a_message_never_sent_is_recorded_and_opts_nothing_out(callback):
    event = callback(message_sid(0xBAD), "undelivered", "30005", to="(415) 555-0199")
    assert event.message is None
    assert event.action == "unknown_message"
    assert event.to_number == "(415) 555-0199"
    assert not OptOut.objects.exists()
