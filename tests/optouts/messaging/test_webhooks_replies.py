"""The webhook's answers are evidence: each confirmation or help text is stored as an outbound
message replying to the text that caused it, shown in the number's history page and evidence
bundle; one confirmation per revocation, none for a decision made later."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from optouts.messaging.models import (
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    PossibleOptOut,
)
from optouts.messaging.selectors import messages_sent_counts
from optouts.messaging.services import possible_opt_out_confirm, possible_opt_outs_apply_overdue
from optouts.models import OptOut, Source
from tests.optouts.messaging.twilio_webhooks import INBOUND, inbound_form, message_sid

pytestmark = pytest.mark.django_db

NUMBER = "+14155550166"
BRAND = "Acme Home Loans"
STOP_REPLY = f"{BRAND}: You are unsubscribed. Reply START to opt back in."


@pytest.fixture(autouse=True)
def _texts(settings):
    settings.SMS_BRAND_NAME = BRAND
    settings.SMS_STOP_REPLY = "{brand}: You are unsubscribed. Reply START to opt back in."
    settings.SMS_START_REPLY = "{brand}: You are subscribed again. Reply STOP to opt out."
    settings.SMS_HELP_CONTACT = "1-800-555-0199 or acme.example/help"
    settings.SMS_HELP_REPLY = (
        "{brand}: For help, contact {help_contact}. Reply STOP to unsubscribe, START to "
        "resubscribe. Msg & data rates may apply."
    )


@pytest.fixture
def text_in(twilio_post):
    counter = iter(range(0x6000, 0x7000))

    def send(body: str) -> list[str]:
        form = inbound_form(sid=message_sid(next(counter)), body=body, sender=NUMBER)
        response = twilio_post(INBOUND, form)
        assert response.status_code == 200, response.content
        return [m.text for m in ET.fromstring(response.content).iter("Message")]

    return send


def _replies():
    return list(OutboundMessage.objects.filter(to_number=NUMBER).order_by("id"))


def test_a_stop_confirmation_is_stored_as_a_reply_to_the_stop(text_in):
    assert text_in("STOP") == [STOP_REPLY]
    (reply,) = _replies()
    assert (reply.body, reply.status, reply.backend) == (
        STOP_REPLY,
        MessageStatus.REPLIED,
        "webhook",
    )
    assert reply.in_reply_to == InboundMessage.objects.get(body="STOP")
    assert reply.sent_at is not None


def test_a_revocation_in_words_gets_the_same_single_confirmation(text_in):
    assert text_in("Lose my number") == [STOP_REPLY]
    assert text_in("I said lose my number") == []  # already opted out: no second one
    assert text_in("STOP") == []
    assert [r.body for r in _replies()] == [STOP_REPLY]
    assert _replies()[0].in_reply_to.body == "Lose my number"


def test_a_repeated_stop_stores_no_second_reply(text_in):
    text_in("STOP")
    text_in("stop")
    assert len(_replies()) == 1


def test_a_start_confirmation_is_stored_too(text_in):
    text_in("STOP")
    assert text_in("Please add me back to your list") == [
        f"{BRAND}: You are subscribed again. Reply STOP to opt out."
    ]
    assert [r.in_reply_to.body for r in _replies()] == ["STOP", "Please add me back to your list"]


def test_the_help_text_names_the_brand_a_help_contact_and_how_to_stop(text_in):
    (reply,) = text_in("HELP")
    assert reply.startswith(f"{BRAND}:")
    assert "1-800-555-0199 or acme.example/help" in reply
    assert "Reply STOP to unsubscribe" in reply
    assert [r.body for r in _replies()] == [reply]
    assert not OptOut.objects.exists()
    assert not PossibleOptOut.objects.exists()


def test_a_help_template_without_the_contact_placeholder_still_gives_the_contact(text_in, settings):
    settings.SMS_HELP_REPLY = "Reply STOP to opt out."
    (reply,) = text_in("info")
    assert reply == f"{BRAND}: Reply STOP to opt out. Help: 1-800-555-0199 or acme.example/help."


def test_a_possible_revocation_gets_no_text_and_neither_does_its_later_decision(
    text_in, agent_user
):
    assert text_in("stop texting me so early") == []
    item = PossibleOptOut.objects.get()
    possible_opt_out_confirm(item_id=item.pk, actor=agent_user)
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
    assert _replies() == []


def test_an_item_applied_by_the_deadline_sweep_gets_no_text(text_in):
    text_in("Not interested right now")
    assert possible_opt_outs_apply_overdue(now=timezone.now() + timedelta(days=30)).applied
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    assert _replies() == []


def test_replies_do_not_count_toward_the_frequency_cap(text_in):
    text_in("HELP")
    text_in("STOP")
    assert messages_sent_counts(numbers=[NUMBER], since=timezone.now() - timedelta(days=1)) == {}


def test_the_history_page_shows_each_text_and_the_answer_sent(text_in, admin_client):
    text_in("wrong number")
    history = reverse("admin:optouts_report_history", args=[NUMBER])
    page = admin_client.get(history).content.decode()
    assert 'id="replies"' in page
    assert "wrong number" in page
    assert STOP_REPLY in page
    assert "en.wrong_number" in page


def test_the_evidence_bundle_carries_the_reply_with_the_event_and_in_its_own_list(
    text_in, admin_client
):
    text_in("Take me off your list")
    text_in("help")
    bundle = admin_client.get(f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/").json()
    (event,) = bundle["events"]
    assert event["details"]["rule"] == "en.remove_from_list"
    inbound, reply = event["messages"]
    assert (inbound["direction"], inbound["rule"]) == ("inbound", "en.remove_from_list")
    assert (reply["direction"], reply["body"]) == ("outbound", STOP_REPLY)
    assert reply["in_reply_to"] == inbound["message_sid"]
    assert [pair["inbound"]["body"] for pair in bundle["replies"]] == [
        "Take me off your list",
        "help",
    ]
    csv_text = admin_client.get(
        f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/?format=csv"
    ).content.decode()
    assert "Answers sent in the webhook's response" in csv_text
    assert "For help, contact 1-800-555-0199" in csv_text
