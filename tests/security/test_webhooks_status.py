"""Issue 13: signed status callbacks that must not opt out a number or give a 500."""

from __future__ import annotations

import pytest

from optouts.messaging.models import MessageStatus, OutboundMessage, StatusCallbackEvent
from optouts.messaging.services import message_send
from optouts.models import ConsentEvent, OptOut, Source
from tests.optouts.messaging.twilio_webhooks import (
    ACCOUNT_SID,
    STATUS,
    message_sid,
    signed_post,
    status_form,
    webhook_settings,
)

pytestmark = pytest.mark.django_db

NUMBER = "+14155550188"
BYSTANDER = "+14155550199"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    webhook_settings(settings)


@pytest.fixture
def sent_sid(db) -> str:
    """A message this system sent, with the id Twilio gave it."""
    message = message_send(to=NUMBER, body="Your rate quote is ready.")
    sid = message_sid(message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(provider_id=sid)
    return sid


def test_a_status_callback_for_a_sid_never_sent_does_not_opt_out_its_to_number(client):
    form = status_form(
        sid=message_sid(0xDEAD), status="undelivered", to=BYSTANDER, error_code="21610"
    )
    assert signed_post(client, STATUS, form).status_code == 204
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()
    event = StatusCallbackEvent.objects.get()
    assert event.message is None
    assert event.action == "unknown_message"


def test_a_status_callback_applies_the_code_to_the_number_the_message_went_to(client, sent_sid):
    # The callback's To is the provider's word; the number is the one this system sent to.
    form = status_form(sid=sent_sid, status="undelivered", to=BYSTANDER, error_code="21610")
    assert signed_post(client, STATUS, form).status_code == 204
    assert list(OptOut.objects.values_list("phone_number", "source")) == [(NUMBER, Source.SYSTEM)]


@pytest.mark.parametrize("field", ["MessageStatus", "To", "ErrorCode", "From"])
def test_a_nul_byte_in_a_status_callback_is_recorded_without_it(client, sent_sid, field):
    form = status_form(sid=sent_sid, status="delivered", to=NUMBER, error_code="30007")
    form[field] += "\x00"
    assert signed_post(client, STATUS, form).status_code == 204
    event = StatusCallbackEvent.objects.get()
    for value in (event.provider_status, event.to_number, event.error_code):
        assert "\x00" not in value
    assert OutboundMessage.objects.get().status == MessageStatus.DELIVERED


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": "SM" + "a" * 63},
        {"MessageSid": message_sid(1) + "\x00"},
        {"SmsSid": message_sid(2)},
        {"AccountSid": "not-an-account"},
    ],
)
def test_a_malformed_status_callback_gets_400_and_changes_nothing(client, sent_sid, change):
    form = {**status_form(sid=sent_sid, status="failed", to=NUMBER, error_code="21610"), **change}
    assert signed_post(client, STATUS, form).status_code == 400
    assert not StatusCallbackEvent.objects.exists()
    assert not OptOut.objects.exists()


@pytest.mark.parametrize("missing", ["AccountSid", "MessageSid", "MessageStatus"])
def test_a_status_callback_without_a_parameter_twilio_always_sends_gets_400(
    client, sent_sid, missing
):
    form = status_form(sid=sent_sid, status="failed", to=NUMBER, error_code="21610")
    del form[missing]
    assert signed_post(client, STATUS, form).status_code == 400
    assert not OptOut.objects.exists()


def test_a_status_callback_for_another_account_gets_403(client, settings, sent_sid):
    settings.TWILIO_ACCOUNT_SID = "AC" + "f" * 32
    form = status_form(sid=sent_sid, status="failed", to=NUMBER, error_code="21610")
    assert form["AccountSid"] == ACCOUNT_SID
    assert signed_post(client, STATUS, form).status_code == 403
    assert not OptOut.objects.exists()
