"""The send guard and a revocation waiting for review: no SMS while a person has not decided."""

from __future__ import annotations

import pytest
from django.utils import timezone

from optouts.messaging.models import MessageStatus, OutboundMessage, PossibleOptOut, ReasonCode
from optouts.messaging.selectors import phone_send_check
from optouts.messaging.services import (
    SendRefused,
    inbound_message_receive,
    message_deliver,
    message_send,
    possible_opt_out_confirm,
    possible_opt_out_dismiss,
)
from optouts.models import OptOut, Source

pytestmark = pytest.mark.django_db

NUMBER = "+14155550171"
PENDING_TEXT = "Thanks, but please stop texting so early"


@pytest.fixture
def pending(db) -> PossibleOptOut:
    inbound_message_receive(message_sid="SMpending", from_number=NUMBER, body=PENDING_TEXT)
    return PossibleOptOut.objects.get(phone_number=NUMBER)


def test_a_send_to_a_number_with_a_pending_revocation_is_refused_and_recorded(pending):
    with pytest.raises(SendRefused) as refused:
        message_send(to=NUMBER, body="Your rate lock expires Friday")
    assert refused.value.code == ReasonCode.REVOCATION_PENDING
    message = OutboundMessage.objects.get()
    assert (message.status, message.reason_code) == (
        MessageStatus.BLOCKED,
        ReasonCode.REVOCATION_PENDING,
    )
    assert "(415) 555-0171 wrote “Thanks, but please stop texting so early”" in message.reason
    assert "until someone reviews the message" in message.reason
    assert not OptOut.objects.exists()  # paused, not opted out


def test_the_guard_inside_the_hand_off_blocks_a_message_queued_before_the_text_arrived(db):
    now = timezone.now()
    queued = OutboundMessage.objects.create(
        to_number=NUMBER,
        body="hello",
        status=MessageStatus.QUEUED,
        created_at=now,
        status_changed_at=now,
    )
    inbound_message_receive(message_sid="SMlate", from_number=NUMBER, body=PENDING_TEXT)

    message = message_deliver(message_id=queued.pk)

    assert (message.status, message.reason_code) == (
        MessageStatus.BLOCKED,
        ReasonCode.REVOCATION_PENDING,
    )


def test_the_api_answers_409_revocation_pending(agent_api, pending):
    response = agent_api.post(
        "/api/v1/sms/messages/", {"to": NUMBER, "body": "hello"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "revocation_pending"


def test_the_lead_page_says_plainly_why_it_cannot_text(pending):
    check = phone_send_check(number=NUMBER)
    assert not check.can_send
    assert check.reason.startswith(
        "(415) 555-0171 wrote “Thanks, but please stop texting so early”, which may mean"
    )


def test_texts_go_again_once_an_admin_dismisses_it_with_a_reason(admin_user, pending):
    possible_opt_out_dismiss(item_id=pending.pk, actor=admin_user, reason="asked to stop by")
    assert message_send(to=NUMBER, body="See you at 3").status == MessageStatus.SENT


def test_a_confirmed_revocation_blocks_as_the_contacts_opt_out(agent_user, pending):
    possible_opt_out_confirm(item_id=pending.pk, actor=agent_user)
    with pytest.raises(SendRefused) as refused:
        message_send(to=NUMBER, body="hello")
    assert refused.value.code == ReasonCode.RECIPIENT_OPTED_OUT
    assert OptOut.objects.get().source == Source.CONTACT


def test_the_contacts_start_word_ends_the_pause(pending):
    inbound_message_receive(message_sid="SMstart", from_number=NUMBER, body="START")
    pending.refresh_from_db()
    assert pending.status == PossibleOptOut.Status.DISMISSED
    assert message_send(to=NUMBER, body="Welcome back").status == MessageStatus.SENT


def test_other_numbers_are_not_paused(pending):
    assert message_send(to="+14155550172", body="hello").status == MessageStatus.SENT
